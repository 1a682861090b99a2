// Starts Swagger UI on /docs (a file of its own: the page's CSP allows no inline script).
addEventListener("load", () => {
  globalThis.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#api",
    deepLinking: true,
    tryItOutEnabled: true,
    persistAuthorization: false,
    displayRequestDuration: true,
  });
});
