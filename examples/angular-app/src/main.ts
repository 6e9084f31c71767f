// A zone-based Angular app (zone.js in the polyfills, provideZoneChangeDetection). Angular
// downlevels async/await for zone.js and so rejects top-level await: the app imports
// `wasm-token-manager/manual` and instantiates the module in an app initializer.
import { provideAppInitializer, provideZoneChangeDetection } from "@angular/core";
import { bootstrapApplication } from "@angular/platform-browser";
import init from "wasm-token-manager/manual";
import { App } from "./app/app";

bootstrapApplication(App, {
  providers: [provideZoneChangeDetection({ eventCoalescing: true }), provideAppInitializer(() => init())],
}).catch((err) => console.error(err));
