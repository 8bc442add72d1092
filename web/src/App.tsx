import { useEffect, useState, type FormEvent } from "react";
import { onUnauthorized, readToken, storeToken } from "./api/client";
import { ReloadContext } from "./api/reload";
import { Link, navigate, useRoute } from "./components/router";
import { digestFromInput, artifactPath, type Route } from "./lib/route";
import { Artifact } from "./views/Artifact";
import { Executive } from "./views/Executive";
import { Impact } from "./views/Impact";
import { OnCall } from "./views/OnCall";
import { applyTheme, nextTheme, storedTheme, type Theme } from "./theme";

const NAV = [
  { to: "/", label: "Executive", route: "executive" },
  { to: "/oncall", label: "On-call", route: "oncall" },
  { to: "/impact", label: "Impact", route: "impact" },
] as const;

export function App() {
  const route = useRoute();
  const [reload, setReload] = useState(0);
  const [signIn, setSignIn] = useState(false);
  const [theme, setTheme] = useState<Theme>(storedTheme);
  useEffect(() => onUnauthorized(() => setSignIn(true)), []);
  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    document.title = `vouch · ${titleOf(route)}`;
  }, [route]);

  return (
    <ReloadContext.Provider value={reload}>
      <header className="top">
        <Link to="/" className="brand">
          vouch
        </Link>
        <nav aria-label="views">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} className={route.name === n.route ? "active" : ""} aria-current={route.name === n.route ? "page" : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <DigestSearch />
        <button type="button" className="ghost" onClick={() => setSignIn(true)} title="API token">
          {readToken() === undefined ? "Sign in" : "Token"}
        </button>
        <button type="button" className="ghost" data-testid="theme-toggle" onClick={() => setTheme(nextTheme(theme))} title="Light / dark">
          {theme === "dark" ? "☾ Dark" : theme === "light" ? "☀ Light" : "◐ Auto"}
        </button>
      </header>
      {signIn && (
        <SignIn
          onDone={(changed) => {
            setSignIn(false);
            if (changed) setReload((n) => n + 1);
          }}
        />
      )}
      <main>
        <View route={route} />
      </main>
    </ReloadContext.Provider>
  );
}

function titleOf(route: Route): string {
  switch (route.name) {
    case "executive":
      return "Executive";
    case "oncall":
      return "On-call";
    case "impact":
      return "Impact";
    case "keys":
      return "Keys";
    case "artifact":
      return route.digest.slice(0, 19);
    case "not-found":
      return "Not found";
  }
}

function View({ route }: { route: Route }) {
  switch (route.name) {
    case "executive":
      return <Executive filter={route.filter} />;
    case "keys":
      return <Executive filter={{}} keysOnly />;
    case "oncall":
      return <OnCall />;
    case "impact":
      return <Impact key={`${route.query}\n${route.range}`} query={route.query} range={route.range} />;
    case "artifact":
      return <Artifact key={route.digest} digest={route.digest} />;
    case "not-found":
      return (
        <section className="view">
          <h1>Not found</h1>
          <p>
            {route.path} is not a page of this dashboard. <Link to="/">Back to the overview</Link>.
          </p>
        </section>
      );
  }
}

function DigestSearch() {
  const [text, setText] = useState("");
  const [invalid, setInvalid] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const digest = digestFromInput(text);
    if (digest === undefined) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    setText("");
    navigate(artifactPath(digest));
  };
  return (
    <form className="digest-search" onSubmit={submit} role="search">
      <input
        data-testid="digest-search"
        aria-label="artifact digest"
        aria-invalid={invalid}
        placeholder="sha256:… or image@sha256:…"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setInvalid(false);
        }}
        spellCheck={false}
        title={invalid ? "Give a sha256 digest (sha256:<64 hex>) or an image reference pinned by one" : "Open an artifact by its digest"}
      />
    </form>
  );
}

function SignIn({ onDone }: { onDone: (changed: boolean) => void }) {
  const [token, setToken] = useState("");
  const had = readToken() !== undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim() === "") return;
    storeToken(token.trim());
    onDone(true);
  };
  return (
    <div className="modal" role="dialog" aria-modal="true" aria-labelledby="signin-title" data-testid="sign-in">
      <form className="card" onSubmit={submit}>
        <h2 id="signin-title">Sign in</h2>
        <p>Paste an API token with read scope. It is kept in this browser's local storage only.</p>
        <pre className="command">
          <code>vouch token create --scope read --name dashboard</code>
        </pre>
        <input type="password" data-testid="sign-in-token" value={token} onChange={(e) => setToken(e.target.value)} autoFocus autoComplete="off" placeholder="API token" />
        <div className="buttons">
          <button type="submit" data-testid="sign-in-submit">
            Use this token
          </button>
          {had && (
            <button
              type="button"
              className="ghost"
              onClick={() => {
                storeToken(undefined);
                onDone(true);
              }}
            >
              Forget the stored token
            </button>
          )}
          <button type="button" className="ghost" onClick={() => onDone(false)}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
