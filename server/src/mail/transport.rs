//! The SMTP transport, from `STEWARD_SMTP_URL`:
//! `smtp://user:pass@host:port` (STARTTLS required), `smtps://…` (TLS from the first byte),
//! `smtp://host:port?tls=none` (plain, for a local relay) or `?tls=opportunistic`.

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::time::Duration;

pub type Smtp = AsyncSmtpTransport<Tokio1Executor>;

/// How long one SMTP conversation may take; the worker's lease is longer than this.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the transport. Errors never repeat the URL, which may hold a password.
pub fn from_url(raw: &str) -> anyhow::Result<Smtp> {
    let invalid = |why: &str| anyhow::anyhow!("invalid configuration: smtp_url {why}");
    let url = url::Url::parse(raw).map_err(|_| invalid("is not a URL"))?;
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| invalid("has no host"))?
        .to_owned();
    let mut tls_mode = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "tls" => tls_mode = Some(value.into_owned()),
            _ => return Err(invalid("has an unknown parameter (only `tls` is known)")),
        }
    }
    let tls_parameters = || TlsParameters::new(host.clone()).map_err(|_| invalid("has a host TLS cannot use"));
    let builder = match (url.scheme(), tls_mode.as_deref()) {
        ("smtps", None) => Smtp::relay(&host).map_err(|_| invalid("has a host TLS cannot use"))?,
        ("smtp", None | Some("required")) => {
            Smtp::starttls_relay(&host).map_err(|_| invalid("has a host TLS cannot use"))?
        }
        ("smtp", Some("opportunistic")) => Smtp::builder_dangerous(&host).tls(Tls::Opportunistic(tls_parameters()?)),
        ("smtp", Some("none")) => Smtp::builder_dangerous(&host),
        ("smtp", Some(_)) => return Err(invalid("has `tls` other than none, opportunistic or required")),
        _ => return Err(invalid("must start with smtp:// or smtps://")),
    };
    let builder = match url.port() {
        Some(port) => builder.port(port),
        None => builder,
    };
    let builder = if url.username().is_empty() {
        builder
    } else {
        let decode = |part: &str| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8_lossy()
                .into_owned()
        };
        builder.credentials(Credentials::new(
            decode(url.username()),
            decode(url.password().unwrap_or_default()),
        ))
    };
    Ok(builder.timeout(Some(TIMEOUT)).build())
}

#[cfg(test)]
mod tests {
    use super::from_url;

    #[test]
    fn accepts_the_documented_forms() {
        for url in [
            "smtp://user:p%40ss@mail.example.com:587",
            "smtps://user:pass@mail.example.com",
            "smtp://127.0.0.1:2525?tls=none",
            "smtp://relay.local?tls=opportunistic",
        ] {
            assert!(from_url(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn errors_do_not_repeat_the_password() {
        for url in [
            "imap://user:secret@host",
            "smtp://user:secret@host?tls=maybe",
            "smtp://user:secret@host?x=1",
        ] {
            let error = from_url(url).err().expect("refused").to_string();
            assert!(!error.contains("secret"), "{error}");
        }
    }
}
