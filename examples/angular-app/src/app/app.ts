import { Component, inject, signal } from "@angular/core";
import { DatePipe } from "@angular/common";
import { Auth } from "./auth";

@Component({
  selector: "app-root",
  imports: [DatePipe],
  template: `
    <h1>wasm-token-manager in an Angular app</h1>
    @if (session(); as s) {
      @if (s.state === "restoring") {
        <!-- restoreOnCreate: the session is being restored from the refresh cookie -->
        <p id="loading">Loading…</p>
      } @else if (s.isAuthenticated) {
        <p id="user">Signed in as {{ s.claims?.sub }}</p>
        <p id="token">Token valid until {{ s.expiresAt | date: "HH:mm:ss" }}, renewed silently {{ auth.renewals() }} {{ auth.renewals() === 1 ? "time" : "times" }}</p>
        <p><button id="call-api" (click)="callApi()">Call /api/me</button>&ngsp;<output id="api">{{ answer() }}</output></p>
        <p><button id="sign-out" (click)="auth.signOut()">Sign out</button></p>
      } @else {
        <form id="login" (submit)="signIn($event)">
          <p><label>User name <input name="username" autocomplete="username" required></label></p>
          <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
          <p><button>Sign in</button>&ngsp;<span role="alert">{{ auth.message() }}</span></p>
        </form>
      }
    }
  `,
})
export class App {
  readonly auth = inject(Auth);
  readonly session = this.auth.session;
  readonly answer = signal("");

  async signIn(event: Event) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    this.answer.set("");
    await this.auth.signIn(String(data.get("username")), String(data.get("password")));
  }

  // auth.fetch adds the Authorization header, and refreshes and retries once after a 401.
  async callApi() {
    try {
      const res = await this.auth.manager.fetch("/api/me");
      this.answer.set(res.ok ? `${res.status}: hello, ${(await res.json()).sub}` : `${res.status}`);
    } catch (err) {
      this.answer.set(`failed: ${(err as { code?: string }).code ?? (err as Error).message}`);
    }
  }
}
