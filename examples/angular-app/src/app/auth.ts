// The manager as an Angular service: its snapshot as a signal (the store contract:
// subscribe calls the listener at once and on every change; getSnapshot is the current value).
import { DestroyRef, Injectable, inject, signal } from "@angular/core";
import { TokenManager, type AuthSnapshot } from "wasm-token-manager/manual";

@Injectable({ providedIn: "root" })
export class Auth {
  readonly manager = new TokenManager({
    refreshUrl: "/auth/refresh",
    loginUrl: "/auth/login",
    logoutUrl: "/auth/logout",
    // Sign in again from the refresh cookie at once: the snapshot says "restoring" until the
    // server has answered, so the app shows "Loading…" instead of the sign-in form.
    restoreOnCreate: true,
  });
  private readonly snapshot = signal<AuthSnapshot>(this.manager.getSnapshot());
  readonly session = this.snapshot.asReadonly();
  readonly renewals = signal(0);
  readonly message = signal("");

  constructor() {
    const offs = [
      this.manager.subscribe((s) => this.snapshot.set(s)),
      this.manager.on("refreshed", () => this.renewals.update((n) => n + 1)),
      this.manager.on("sessionExpired", () => this.message.set("Your session has ended. Please sign in again.")),
    ];
    this.manager.ready.catch(() => this.message.set("Cannot reach the sign-in service."));
    inject(DestroyRef).onDestroy(() => { offs.forEach((off) => off()); this.manager.dispose(); });
  }

  async signIn(username: string, password: string): Promise<void> {
    this.message.set("");
    try {
      await this.manager.login({ username, password });
    } catch (err) {
      const e = err as { code?: string; status?: number };
      this.message.set(e.code === "login_failed" && e.status === 401 ? "Wrong user name or password." : "Sign-in failed. Please try again.");
    }
  }

  signOut(): Promise<boolean> {
    return this.manager.logout(); // every tab signs out; never rejects
  }
}
