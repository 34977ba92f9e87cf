//! GraphiQL, served entirely by Steward (its scripts come from the portal's `graphiql/` folder,
//! not a CDN), so it works without internet access. A header editor holds the bearer token.

use axum::response::Html;

pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Steward · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.min.css">
  <style>
    html, body { height: 100%; margin: 0; }
    #graphiql { height: 100vh; }
    #missing { font: 15px system-ui, sans-serif; padding: 2rem; display: none; }
  </style>
</head>
<body>
  <div id="missing">GraphiQL's assets are not installed next to the portal. Build the portal with
    <code>scripts/start.sh</code>, which installs them.</div>
  <div id="graphiql"></div>
  <script src="/graphiql/react.production.min.js"></script>
  <script src="/graphiql/react-dom.production.min.js"></script>
  <script src="/graphiql/graphiql.min.js"></script>
  <script>
    if (typeof GraphiQL === "undefined") {
      document.getElementById("missing").style.display = "block";
    } else {
      const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
      const defaultHeaders = JSON.stringify({ Authorization: "Bearer <paste an access token from login>" }, null, 2);
      const defaultQuery = [
        "# Sign in to get an access token, then paste it into the Authorization header below.",
        "mutation SignIn {",
        "  login(email: \"admin@example.com\", password: \"...\") { accessToken expiresIn user { email } }",
        "}",
        "",
        "query Me {",
        "  viewer { isSuperadmin user { id email name } memberships { roles organization { id slug name } } }",
        "}",
        "",
      ].join("\n");
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {
          fetcher,
          defaultQuery,
          defaultHeaders,
          defaultEditorToolsVisibility: "headers",
          shouldPersistHeaders: true,
        }),
      );
    }
  </script>
</body>
</html>
"##;
