//! Configuration: the global `[dialects.ndata]` section, the per-tenant
//! `[tenants.<id>.ndata]` sections (users and rights, feature `server`) and the client's
//! settings (feature `client`).

use serde::Deserialize;

/// `[dialects.ndata]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlobalConfig {
    /// Read by the application, which does not mount a disabled dialect.
    pub enabled: bool,
    /// Lifetime of a `tokenId` from `POST /api/auth`.
    pub token_ttl_secs: u64,
    /// Lifetime of a `refreshToken`.
    pub refresh_ttl_secs: u64,
    /// The largest `$take` accepted, and the page size when `$take` is absent.
    pub max_take: u32,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            token_ttl_secs: 3600,
            refresh_ttl_secs: 86_400,
            max_take: 1000,
        }
    }
}

/// An NData right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Right {
    CustomerCreate,
    CustomerUpdate,
    CustomerDelete,
    CustomerSetDiscount,
    CustomerSetCredit,
    /// Grants every right (ours).
    Admin,
}

impl Right {
    pub const ALL: &'static [Right] = &[
        Right::CustomerCreate,
        Right::CustomerUpdate,
        Right::CustomerDelete,
        Right::CustomerSetDiscount,
        Right::CustomerSetCredit,
        Right::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Right::CustomerCreate => "CustomerCreate",
            Right::CustomerUpdate => "CustomerUpdate",
            Right::CustomerDelete => "CustomerDelete",
            Right::CustomerSetDiscount => "CustomerSetDiscount",
            Right::CustomerSetCredit => "CustomerSetCredit",
            Right::Admin => "admin",
        }
    }

    /// Looks a right up ignoring ASCII case.
    pub fn parse(raw: &str) -> Option<Right> {
        Right::ALL
            .iter()
            .copied()
            .find(|r| r.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

/// The rights of one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rights(Vec<Right>);

impl Rights {
    pub fn new(rights: impl IntoIterator<Item = Right>) -> Self {
        let mut v: Vec<Right> = Vec::new();
        for r in rights {
            if !v.contains(&r) {
                v.push(r);
            }
        }
        Self(v)
    }

    /// Whether the user holds `right` (directly or through `admin`).
    pub fn allows(&self, right: Right) -> bool {
        self.0.contains(&Right::Admin) || self.0.contains(&right)
    }

    /// The rights as configured, in the documented spelling.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|r| r.as_str().to_owned()).collect()
    }
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use custgate_http::PasswordHashString;
    use serde::Deserialize;

    /// `[tenants.<id>.ndata]`.
    #[derive(Clone, Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    pub struct TenantConfig {
        pub users: Vec<UserConfig>,
    }

    /// One user allowed to log in with `POST /api/auth`.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct UserConfig {
        /// Unique across all tenants (the login has no tenant field), ignoring case.
        pub user_name: String,
        /// An argon2 PHC string.
        pub password_hash: PasswordHashString,
        #[serde(default)]
        pub rights: Vec<String>,
    }
}

#[cfg(feature = "client")]
pub use client::*;

#[cfg(feature = "client")]
mod client {
    use custgate_upstream::UpstreamConfig;
    use secrecy::SecretString;
    use serde::Deserialize;

    /// How the client reaches a real NData system.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ClientConfig {
        /// Base URL, timeouts and limits.
        pub upstream: UpstreamConfig,
        pub user_name: String,
        pub password: SecretString,
        #[serde(default = "default_device_name")]
        pub device_name: String,
        /// The upstream's largest `$take`; pages are asked for in this size.
        #[serde(default = "default_max_take")]
        pub max_take: u32,
    }

    fn default_device_name() -> String {
        "custgate".to_owned()
    }

    fn default_max_take() -> u32 {
        1000
    }

    impl ClientConfig {
        pub fn new(
            base_url: impl Into<String>,
            user_name: impl Into<String>,
            password: impl Into<String>,
        ) -> Self {
            Self {
                upstream: UpstreamConfig::with_base_url(base_url),
                user_name: user_name.into(),
                password: SecretString::from(password.into()),
                device_name: default_device_name(),
                max_take: default_max_take(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_parse_and_admin_grants_all() {
        assert_eq!(Right::parse("customercreate"), Some(Right::CustomerCreate));
        assert_eq!(Right::parse("ADMIN"), Some(Right::Admin));
        assert_eq!(Right::parse("Nope"), None);
        let admin = Rights::new([Right::Admin]);
        assert!(Right::ALL.iter().all(|r| admin.allows(*r)));
        let clerk = Rights::new([
            Right::CustomerCreate,
            Right::CustomerUpdate,
            Right::CustomerCreate,
        ]);
        assert!(clerk.allows(Right::CustomerUpdate));
        assert!(!clerk.allows(Right::CustomerDelete));
        assert_eq!(clerk.names(), ["CustomerCreate", "CustomerUpdate"]);
    }

    #[test]
    fn the_global_section_of_default_toml_is_accepted() {
        let g: GlobalConfig = serde_json::from_value(serde_json::json!({
            "enabled": true, "token_ttl_secs": 3600, "refresh_ttl_secs": 86400, "max_take": 1000
        }))
        .unwrap();
        assert_eq!(g, GlobalConfig::default());
        assert!(serde_json::from_value::<GlobalConfig>(serde_json::json!({"max_tak": 1})).is_err());
    }
}
