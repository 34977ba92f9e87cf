//! What an API client may be allowed to do, as the API names it and as an administrator reads it,
//! and the command that shows a partner how to obtain a token.

/// One scope a client can be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiScope {
    /// The name on the wire, e.g. `users:read`.
    pub name: &'static str,
    /// One line on what it allows.
    pub explanation: &'static str,
}

impl ApiScope {
    /// A stable element id suffix: `users:read` → `users-read`.
    pub fn id_suffix(self) -> String {
        self.name.replace(':', "-")
    }
}

/// Every scope, in the order the API documents them.
pub const SCOPES: [ApiScope; 6] = [
    ApiScope {
        name: "users:read",
        explanation: "List and read the organization's members.",
    },
    ApiScope {
        name: "users:write",
        explanation: "Create, change, block and suspend members, as a user manager may; never an ADMIN.",
    },
    ApiScope {
        name: "users:delete",
        explanation: "Delete members' accounts, within the same limits as users:write.",
    },
    ApiScope {
        name: "metadata:write",
        explanation: "Change members' user and app metadata.",
    },
    ApiScope {
        name: "audit:read",
        explanation: "Read the organization's audit log.",
    },
    ApiScope {
        name: "org:read",
        explanation: "Read the organization's settings and metadata.",
    },
];

/// The chosen scopes in the documented order, whatever order they were ticked in.
pub fn in_documented_order(chosen: &[&str]) -> Vec<String> {
    SCOPES
        .iter()
        .filter(|scope| chosen.contains(&scope.name))
        .map(|scope| scope.name.to_owned())
        .collect()
}

/// A command to paste into a shell that exchanges the client's credentials for an access token
/// (the client-credentials grant) at the server the portal was loaded from.
pub fn token_request_example(origin: &str, client_id: &str, secret: &str) -> String {
    let origin = origin.trim_end_matches('/');
    format!("curl -u {client_id}:{secret} -d grant_type=client_credentials {origin}/oauth/token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_names_without_colons() {
        let suffixes: Vec<String> = SCOPES.iter().map(|scope| scope.id_suffix()).collect();
        assert_eq!(
            suffixes,
            [
                "users-read",
                "users-write",
                "users-delete",
                "metadata-write",
                "audit-read",
                "org-read"
            ]
        );
    }

    #[test]
    fn chosen_scopes_keep_the_documented_order() {
        assert_eq!(
            in_documented_order(&["org:read", "users:read", "unknown"]),
            ["users:read", "org:read"]
        );
        assert!(in_documented_order(&[]).is_empty());
    }

    #[test]
    fn the_example_posts_to_the_portals_own_server() {
        assert_eq!(
            token_request_example("https://steward.example.com/", "stw_abc", "s3cr3t-_x"),
            "curl -u stw_abc:s3cr3t-_x -d grant_type=client_credentials https://steward.example.com/oauth/token"
        );
    }
}
