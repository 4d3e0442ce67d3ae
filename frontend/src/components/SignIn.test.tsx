import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, type Credentials, type OmsApi } from "../api/client";
import { SignIn } from "./SignIn";

function jsonResponse(status: number, body: object): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => vi.unstubAllGlobals());

describe("SignIn", () => {
  it("checks the key with a signed request and never sends the secret", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => jsonResponse(404, { code: "NOT_FOUND", message: "no such route", field: null })));
    const account = vi.fn(async () => ({ account: "alice" }));
    const seen: Credentials[] = [];
    const onSignedIn = vi.fn();
    render(
      <SignIn
        onSignedIn={onSignedIn}
        api={(c) => {
          seen.push(c);
          return { account } as unknown as OmsApi;
        }}
      />,
    );
    await userEvent.type(screen.getByLabelText("API key"), "alice-key");
    await userEvent.type(screen.getByLabelText("API secret"), "alice-secret{Enter}");
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith({ credentials: { key: "alice-key", secret: "alice-secret" }, account: "alice" }, true));
    expect(seen).toEqual([{ key: "alice-key", secret: "alice-secret" }]);
    expect(screen.queryByRole("button", { name: "Try the demo account" })).not.toBeInTheDocument();
  });

  it("says a wrong secret in words", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => jsonResponse(404, { code: "NOT_FOUND", message: "", field: null })));
    const account = vi.fn(async () => {
      throw new ApiError(401, "INVALID_SIGNATURE", "signature mismatch");
    });
    render(<SignIn onSignedIn={vi.fn()} api={() => ({ account }) as unknown as OmsApi} />);
    await userEvent.type(screen.getByLabelText("API key"), "k");
    await userEvent.type(screen.getByLabelText("API secret"), "wrong{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("The secret does not match this API key.");
  });

  it("offers the one-click demo sign-in only when the server does", async () => {
    const fetchMock = vi.fn(async (request: Request) => {
      expect(new URL(request.url).pathname).toBe("/v1/demo/login");
      return jsonResponse(200, { account: "demo", apiKey: "demo-key", apiSecret: "demo-secret" });
    });
    vi.stubGlobal("fetch", fetchMock);
    const onSignedIn = vi.fn();
    const account = vi.fn(async () => ({ account: "demo" }));
    render(<SignIn onSignedIn={onSignedIn} api={() => ({ account }) as unknown as OmsApi} />);
    await userEvent.click(await screen.findByRole("button", { name: "Try the demo account" }));
    await waitFor(() =>
      expect(onSignedIn).toHaveBeenCalledWith({ credentials: { key: "demo-key", secret: "demo-secret" }, account: "demo" }, true),
    );
  });
});
