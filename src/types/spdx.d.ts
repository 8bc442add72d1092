// The slices of the untyped spdx-* packages that vouch uses.
declare module "spdx-expression-parse" {
  export type SpdxNode =
    | { license: string; plus?: true; exception?: string }
    | { left: SpdxNode; conjunction: "and" | "or"; right: SpdxNode };
  export default function parse(expression: string): SpdxNode;
}
declare module "spdx-correct" {
  export default function correct(value: string, options?: { upgrade?: boolean }): string | null;
}
declare module "spdx-license-ids" {
  const ids: string[];
  export default ids;
}
