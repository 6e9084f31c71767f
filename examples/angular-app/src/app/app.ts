import { Component, inject, signal } from "@angular/core";
import { DatePipe } from "@angular/common";
import { Auth } from "./auth";

@Component({
  selector: "app-root",
  imports: [DatePipe],
  template: `
    <h1>wasm-token-manager in an Angular app</h1>
    <p id="state" [attr.data-state]="session().state">
      {{ session().isAuthenticated ? "signed in as " + session().claims?.sub : session().state }}
    </p>
    <p id="expiry" [attr.data-expires-at]="session().expiresAt">
      @if (session().expiresAt; as at) { token expires at {{ at | date: "HH:mm:ss" }} } @else { no token }
    </p>
    <button id="sign-in" (click)="signIn()" [disabled]="session().isAuthenticated">Sign in</button>
    <button id="sign-out" (click)="signOut()" [disabled]="!session().isAuthenticated">Sign out</button>
    <p id="error" [attr.data-error]="error()">{{ error() }}</p>
  `,
})
export class App {
  private readonly auth = inject(Auth);
  readonly session = this.auth.session;
  readonly error = signal("");

  async signIn() {
    this.error.set("");
    try {
      await this.auth.signIn("demo", "demo");
    } catch (e) {
      this.error.set(`${(e as { code?: string }).code}: ${(e as Error).message}`);
    }
  }

  async signOut() {
    await this.auth.signOut();
  }
}
