// Starts GOV.UK Frontend's components (error summary focus, character counts, the skip
// link's focus). Loaded as a module from our own origin: the CSP allows no inline script.
// Without JavaScript every page still works; the error summary is then a plain list of links.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
initAll();
