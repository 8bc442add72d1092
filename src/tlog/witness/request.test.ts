import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import {
  MAX_PROOF_LINES,
  formatAddCheckpointRequest,
  formatSignatureLine,
  parseAddCheckpointRequest,
  parseAddCheckpointResponse,
} from "./index.js";

const h = (byte: number) => new Uint8Array(32).fill(byte);
const CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

describe("add-checkpoint request and response bodies (c2sp.org/tlog-witness)", () => {
  it("parses the spec's example request", () => {
    const body =
      "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n" +
      "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\n" +
      CHECKPOINT;
    const request = parseAddCheckpointRequest(body);
    expect(request.oldSize).toBe(20852014);
    expect(request.proof.map((p) => Buffer.from(p).toString("base64"))[3]).toBe("/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=");
    expect(request.checkpoint).toBe(CHECKPOINT);
    expect(formatAddCheckpointRequest(request)).toBe(body);
  });

  it("round-trips old size 0 with no proof, and 63 proof lines", () => {
    expect(parseAddCheckpointRequest(`old 0\n\n${CHECKPOINT}`)).toEqual({ oldSize: 0, proof: [], checkpoint: CHECKPOINT });
    const proof = Array.from({ length: MAX_PROOF_LINES }, (_, i) => h(i));
    expect(parseAddCheckpointRequest(formatAddCheckpointRequest({ oldSize: 1, proof, checkpoint: CHECKPOINT })).proof).toEqual(proof);
  });

  it.each([
    ["an empty body", ""],
    ["no old line", `${CHECKPOINT}`],
    ["a leading zero", `old 01\n\n${CHECKPOINT}`],
    ["a negative size", `old -1\n\n${CHECKPOINT}`],
    ["two spaces", `old  1\n\n${CHECKPOINT}`],
    ["a size beyond 2^53", `old 18446744073709551615\n\n${CHECKPOINT}`],
    ["a proof line that is not base64", `old 1\nnot base64!\n\n${CHECKPOINT}`],
    ["a proof hash of 31 bytes", `old 1\n${Buffer.alloc(31).toString("base64")}\n\n${CHECKPOINT}`],
    ["64 proof lines", `old 1\n${`${Buffer.alloc(32).toString("base64")}\n`.repeat(64)}\n${CHECKPOINT}`],
    ["no empty line", "old 1\nAAAA"],
    ["no checkpoint", "old 1\n\n"],
    ["CRLF line ends", `old 1\r\n\r\n${CHECKPOINT}`],
  ])("rejects %s", (_what, body) => {
    expect(thrownVouchError(() => parseAddCheckpointRequest(body)).code).toBe("INPUT_MALFORMED");
  });

  it("formats and parses response signature lines (the spec's example response)", () => {
    const body =
      "\u2014 witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n" +
      "\u2014 witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n";
    const lines = parseAddCheckpointResponse(body);
    expect(lines.map((l) => l.name)).toEqual(["witness.example/w1", "witness.example/w2"]);
    expect(lines.map(formatSignatureLine).join("")).toBe(body);
    for (const bad of ["", "\u2014 w1\n", "hello\n", `${body}\n`]) {
      expect(thrownVouchError(() => parseAddCheckpointResponse(bad)).code).toBe("INPUT_MALFORMED");
    }
  });
});
