//! How the portal reaches a browser: the Brotli or gzip copy made at build time, whichever the
//! browser accepts; assets named by their content's hash cached for a year as immutable;
//! `index.html` and the portal's routes revalidated each time.

use std::io::Read;
use steward_tests::{workspace_root, Backend, TestServer};

struct Fetched {
    status: u16,
    encoding: Option<String>,
    cache: Option<String>,
    vary: Option<String>,
    kind: Option<String>,
    last_modified: Option<String>,
    body: Vec<u8>,
}

async fn fetch(server: &TestServer, path: &str, accept: Option<&str>, since: Option<&str>) -> Fetched {
    let mut request = server.http.get(format!("{}{path}", server.url));
    if let Some(accept) = accept {
        request = request.header("Accept-Encoding", accept);
    }
    if let Some(since) = since {
        request = request.header("If-Modified-Since", since);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    Fetched {
        status: response.status().as_u16(),
        encoding: header("content-encoding"),
        cache: header("cache-control"),
        vary: header("vary"),
        kind: header("content-type"),
        last_modified: header("last-modified"),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

fn unbrotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(body, 64 * 1024)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn ungzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap();
    out
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_is_sent_precompressed_and_cached_by_name() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dist = workspace_root().join("dist");
    let index = std::fs::read(dist.join("index.html")).expect("the built portal (scripts/build-portal.sh)");

    // index.html: Brotli to a browser that takes it, revalidated every time.
    let page = fetch(&server, "/", Some("gzip, deflate, br, zstd"), None).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.encoding.as_deref(), Some("br"));
    assert_eq!(page.cache.as_deref(), Some("no-cache"));
    assert!(page
        .vary
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    assert_eq!(unbrotli(&page.body), index);
    // Revalidation: unchanged, so 304 without a body.
    let again = fetch(&server, "/", Some("br"), page.last_modified.as_deref()).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // The WebAssembly, named by its hash in index.html.
    let text = String::from_utf8(index).unwrap();
    let end = text.find("_bg.wasm").expect("index.html names the wasm") + "_bg.wasm".len();
    let start = text[..end].rfind(['"', '\'', '/']).unwrap() + 1;
    let wasm_path = format!("/{}", &text[start..end]);
    let wasm = std::fs::read(dist.join(&text[start..end])).unwrap();

    let brotli = fetch(&server, &wasm_path, Some("gzip, br"), None).await;
    assert_eq!(brotli.encoding.as_deref(), Some("br"));
    assert_eq!(brotli.cache.as_deref(), Some(IMMUTABLE));
    assert_eq!(brotli.kind.as_deref(), Some("application/wasm"));
    assert_eq!(unbrotli(&brotli.body), wasm);
    assert!(
        brotli.body.len() * 3 < wasm.len(),
        "the wasm is sent at {} of {} bytes",
        brotli.body.len(),
        wasm.len()
    );
    println!("wasm: {} bytes, {} as Brotli", wasm.len(), brotli.body.len());

    let gzip = fetch(&server, &wasm_path, Some("gzip"), None).await;
    assert_eq!(gzip.encoding.as_deref(), Some("gzip"));
    assert_eq!(gzip.cache.as_deref(), Some(IMMUTABLE));
    assert_eq!(ungzip(&gzip.body), wasm);

    let plain = fetch(&server, &wasm_path, None, None).await;
    assert_eq!(plain.encoding, None);
    assert_eq!(plain.body, wasm);

    // The portal's own routes are index.html, revalidated; so is an asset name that no longer
    // exists (a page from before a release asking for its old script): never kept a year.
    for path in ["/orgs/acme/members", "/frontend-0123456789abcdef.js"] {
        let route = fetch(&server, path, Some("br"), None).await;
        assert_eq!(route.status, 200, "{path}");
        assert!(
            route.kind.as_deref().unwrap_or_default().starts_with("text/html"),
            "{path}"
        );
        assert_eq!(route.cache.as_deref(), Some("no-cache"), "{path}");
    }
}
