import { createContext } from "react";

/** Bumped after a sign-in: every mounted request asks again with the new token. */
export const ReloadContext = createContext(0);
