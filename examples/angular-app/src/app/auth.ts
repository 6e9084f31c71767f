// The manager as an Angular service: its snapshot as a signal (the store contract:
// subscribe calls the listener at once and on every change; getSnapshot is the current value).
import { DestroyRef, Injectable, inject, signal } from "@angular/core";
import { TokenManager, type AuthSnapshot } from "wasm-token-manager/manual";

@Injectable({ providedIn: "root" })
export class Auth {
  readonly manager = new TokenManager({ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" });
  private readonly snapshot = signal<AuthSnapshot>(this.manager.getSnapshot());
  readonly session = this.snapshot.asReadonly();

  constructor() {
    const off = this.manager.subscribe((s) => this.snapshot.set(s));
    inject(DestroyRef).onDestroy(() => { off(); this.manager.dispose(); });
  }

  signIn(username: string, password: string): Promise<void> {
    return this.manager.login({ username, password });
  }

  signOut(): Promise<boolean> {
    return this.manager.logout();
  }
}
