//! The portal in a real headless Chromium: sign in, and see an organization's members.
//!
//! Needs the built portal (`scripts/build-portal.sh`) and Debian's `chromium` and
//! `chromium-driver` (`scripts/setup.sh --browser`); `scripts/test.sh` does both first.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use steward_tests::{workspace_root, Backend, TestServer};

struct ChromeDriver {
    process: Child,
    port: u16,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn chromedriver() -> ChromeDriver {
    let port = free_port();
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (scripts/setup.sh --browser)");
    let driver = ChromeDriver { process, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn browser(driver: &ChromeDriver) -> Client {
    let profile = std::env::temp_dir().join(format!("steward-chromium-{}", uuid::Uuid::new_v4().simple()));
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let capabilities = match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_and_sees_the_members_table() {
    assert!(
        workspace_root().join("dist/index.html").exists(),
        "the portal is not built: run scripts/build-portal.sh (scripts/test.sh does)"
    );
    let server = TestServer::start(Backend::Sqlite).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    server.create_user(&admin, &org, "ada@example.com", &["ADMIN"]).await;
    server.create_user(&admin, &org, "grace@example.com", &["MEMBER"]).await;

    let driver = chromedriver().await;
    let client = browser(&driver).await;
    let result = async {
        client.goto(&format!("{}/login", server.url)).await?;
        client
            .wait()
            .for_element(Locator::Id("email"))
            .await?
            .send_keys(&admin.email)
            .await?;
        client
            .find(Locator::Id("password"))
            .await?
            .send_keys(steward_tests::PASSWORD)
            .await?;
        client.find(Locator::Id("sign-in")).await?.click().await?;
        // Signed in, the superadmin lands in the portal; a reload of a deep link keeps the
        // session (the refresh cookie) and shows the organization's members.
        client.wait().for_element(Locator::Css("header")).await?;
        client.goto(&format!("{}/orgs/{org}", server.url)).await?;
        let table = client.wait().for_element(Locator::Id("members-table")).await?;
        let mut text = table.text().await?;
        for _ in 0..50 {
            if text.contains("grace@example.com") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            text = table.text().await?;
        }
        let screenshot = client.screenshot().await?;
        std::fs::write(workspace_root().join("target/browser-members.png"), screenshot)?;
        Ok::<_, anyhow::Error>(text)
    }
    .await;
    let _ = client.close().await;
    let text = result.expect("the browser journey");
    assert!(text.contains("ada@example.com"), "members table: {text}");
    assert!(text.contains("grace@example.com"), "members table: {text}");
}
