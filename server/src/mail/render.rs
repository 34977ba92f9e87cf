//! Templates: one HTML and one plain-text template per message under `server/templates/mail/`,
//! compiled into the binary and rendered with minijinja. HTML templates escape every value.

use minijinja::{context, Environment};

use super::Message;
use crate::error::{Error, Result};

/// A message ready for the outbox.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    environment: Environment<'static>,
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(
            (concat!($name, ".txt"), include_str!(concat!("../../templates/mail/", $name, ".txt"))),
            (concat!($name, ".html"), include_str!(concat!("../../templates/mail/", $name, ".html"))),
        )*]
    };
}

impl Templates {
    pub fn load() -> anyhow::Result<Self> {
        let mut environment = Environment::new();
        environment.add_template("layout.html", include_str!("../../templates/mail/layout.html"))?;
        environment.add_template("layout.txt", include_str!("../../templates/mail/layout.txt"))?;
        for (name, source) in templates!(
            "password_reset",
            "email_verification",
            "email_change",
            "email_changed",
            "invitation",
            "lockout",
            "password_changed",
        ) {
            environment.add_template(name, source)?;
        }
        Ok(Self { environment })
    }

    pub fn render(&self, message: &dyn Message) -> Result<Rendered> {
        let brand = message.brand();
        let values = context! {
            brand => brand,
            subject => message.subject(),
            ..message.context()
        };
        let render = |suffix: &str| {
            self.environment
                .get_template(&format!("{}.{suffix}", message.template()))
                .and_then(|template| template.render(&values))
                .map_err(|error| Error::internal(anyhow::anyhow!("mail template {}: {error}", message.template())))
        };
        Ok(Rendered {
            subject: super::header_safe(&message.subject()),
            text: render("txt")?,
            html: render("html")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Templates;
    use crate::mail::messages::{self, Brand};

    fn brand() -> Brand {
        Brand {
            name: "Acme <script>".into(),
            logo_url: None,
            color: "#112233".into(),
        }
    }

    #[test]
    fn every_message_renders_with_its_link_and_escapes_html() {
        let templates = Templates::load().expect("templates load");
        let link = "https://id.example.com/reset-password?token=abc&x=1";
        let all: Vec<Box<dyn crate::mail::Message>> = vec![
            Box::new(messages::PasswordReset {
                brand: brand(),
                name: Some("Ada".into()),
                email: "ada@example.com".into(),
                link: Some(link.into()),
                valid_for: "1 hour".into(),
                by_admin: false,
            }),
            Box::new(messages::EmailVerification {
                brand: brand(),
                name: None,
                email: "ada@example.com".into(),
                link: Some(link.into()),
                valid_for: "24 hours".into(),
            }),
            Box::new(messages::EmailChange {
                brand: brand(),
                name: None,
                email: "new@example.com".into(),
                link: Some(link.into()),
                valid_for: "24 hours".into(),
            }),
            Box::new(messages::Invitation {
                brand: brand(),
                name: None,
                email: "ada@example.com".into(),
                link: Some(link.into()),
                valid_for: "7 days".into(),
                account_created: true,
            }),
            Box::new(messages::Lockout {
                brand: brand(),
                name: None,
                email: "ada@example.com".into(),
                ip: "192.0.2.1".into(),
                attempts: 10,
                link: Some(link.into()),
            }),
        ];
        for message in all {
            let rendered = templates.render(message.as_ref()).expect("renders");
            assert!(rendered.text.contains(link), "{}: {}", message.kind(), rendered.text);
            assert!(rendered.html.contains("token=abc&amp;x=1"), "{}", message.kind());
            assert!(rendered.html.contains("Acme &lt;script&gt;"), "{}", message.kind());
            assert!(!rendered.html.contains("<script>"), "{}", message.kind());
            assert!(rendered.subject.contains("Acme <script>"), "{}", rendered.subject);
        }
        let changed = messages::EmailChanged {
            brand: brand(),
            name: None,
            old_email: "old@example.com".into(),
            new_email: "new@example.com".into(),
            link: None,
        };
        let rendered = templates.render(&changed).expect("renders");
        assert!(rendered.text.contains("old@example.com") && rendered.text.contains("new@example.com"));
        for (how, says) in [
            ("self", "was changed"),
            ("reset", "was reset"),
            ("admin", "An administrator"),
        ] {
            let message = messages::PasswordChanged {
                brand: brand(),
                name: Some("Ada".into()),
                how,
                link: None,
            };
            let rendered = templates.render(&message).expect("renders");
            assert!(rendered.text.contains(says), "{how}: {}", rendered.text);
            assert!(rendered.html.contains("Acme &lt;script&gt;"), "{how}");
        }
    }
}
