//! Helpers shared by the crate's integration tests.
#![allow(dead_code)]

use custgate_core::TenantId;
use serde_json::{json, Value};

/// The development configuration's password hashes (config/default.toml): the passwords
/// are `demo`, `clerk` and `acme`.
pub const DEMO_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$NLOo++fne7Qn05aX/Gfajg$62gzExpHSttRbQr07m9NAoOMs5l78bMhvdRaAoorCSE";
pub const CLERK_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$OqstBA3eXbhlbhKiSjnw6g$BPNsGLgMuMikXomE9jf/8pVCxJVllEQoyCjR4V36GhA";
pub const ACME_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$I1+vLcTjLHhh6c8b9p62jQ$GGbqF/8lifYJc+0Bi0Zw6i6KfezXLf032PTDynQlO7U";

pub const LIST_RESPONSE: &str = include_str!("../fixtures/list_response.json");
pub const GET_RESPONSE: &str = include_str!("../fixtures/get_response.json");
pub const CREATE_REQUEST: &str = include_str!("../fixtures/create_request.json");
pub const UPSERT_REQUEST: &str = include_str!("../fixtures/upsert_request.json");
pub const DELETE_RESPONSE: &str = include_str!("../fixtures/delete_response.json");

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

/// `[dialects.ndata]` of config/default.toml.
pub fn global() -> Value {
    json!({"enabled": true, "token_ttl_secs": 3600, "refresh_ttl_secs": 86400, "max_take": 1000})
}

/// `[tenants.demo.ndata]` of config/default.toml.
pub fn demo_users() -> Vec<Value> {
    vec![
        json!({"user_name": "demo", "password_hash": DEMO_HASH, "rights": ["admin"]}),
        json!({"user_name": "clerk", "password_hash": CLERK_HASH, "rights": ["CustomerCreate", "CustomerUpdate"]}),
    ]
}

/// Further demo users for the rights matrix (password `clerk`).
pub fn matrix_users() -> Vec<Value> {
    [
        ("auditor", json!([])),
        ("creator", json!(["CustomerCreate"])),
        ("updater", json!(["CustomerUpdate"])),
        (
            "discounter",
            json!(["CustomerUpdate", "CustomerSetDiscount"]),
        ),
        ("crediter", json!(["CustomerUpdate", "CustomerSetCredit"])),
        ("deleter", json!(["CustomerDelete"])),
    ]
    .into_iter()
    .map(|(name, rights)| json!({"user_name": name, "password_hash": CLERK_HASH, "rights": rights}))
    .collect()
}

/// `[tenants.acme.ndata]` of config/default.toml.
pub fn acme_users() -> Vec<Value> {
    vec![json!({"user_name": "acme", "password_hash": ACME_HASH, "rights": ["admin"]})]
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;

    use std::sync::Arc;

    use actix_web::body::MessageBody;
    use actix_web::dev::{Service, ServiceResponse};
    use actix_web::http::header::HeaderMap;
    use actix_web::test::{self, TestRequest};
    use custgate_core::{DynStore, MemoryStore};
    use custgate_http::{DialectSetup, Limits, TenantSetup};

    /// A setup like config/default.toml's, over two in-memory tenants.
    pub struct World {
        pub setup: DialectSetup,
        pub demo: Arc<MemoryStore>,
        pub acme: Arc<MemoryStore>,
    }

    pub fn world_with(global: Value, demo: Vec<Value>, acme: Vec<Value>) -> World {
        let demo_store = Arc::new(MemoryStore::new());
        let acme_store = Arc::new(MemoryStore::new());
        let setup = DialectSetup {
            global,
            tenants: vec![
                TenantSetup {
                    id: tenant("demo"),
                    store: demo_store.clone() as DynStore,
                    config: Some(json!({ "users": demo })),
                },
                TenantSetup {
                    id: tenant("acme"),
                    store: acme_store.clone() as DynStore,
                    config: Some(json!({ "users": acme })),
                },
                // A tenant without an ndata section cannot be reached through NData.
                TenantSetup {
                    id: tenant("other"),
                    store: Arc::new(MemoryStore::new()) as DynStore,
                    config: None,
                },
            ],
            limits: Limits::default(),
        };
        World {
            setup,
            demo: demo_store,
            acme: acme_store,
        }
    }

    /// The development configuration plus the rights-matrix users.
    pub fn world() -> World {
        let mut demo = demo_users();
        demo.extend(matrix_users());
        world_with(global(), demo, acme_users())
    }

    /// An answer, with the body parsed as JSON (`Null` when empty).
    #[derive(Debug)]
    pub struct Reply {
        pub status: u16,
        pub headers: HeaderMap,
        pub body: Value,
        /// The body as sent.
        pub text: String,
    }

    impl Reply {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).and_then(|v| v.to_str().ok())
        }
    }

    pub async fn call<S, B>(app: &S, req: TestRequest) -> Reply
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let resp = test::call_service(app, req.to_request()).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = test::read_body(resp).await;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// Logs in and returns the `tokenId`.
    pub async fn login<S, B>(app: &S, user: &str, password: &str) -> String
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let r = call(
            app,
            TestRequest::post().uri("/api/auth").set_json(json!({
                "UserName": user, "Password": password, "DeviceName": "test-pos"
            })),
        )
        .await;
        assert_eq!(r.status, 200, "login of {user}: {:?}", r.body);
        r.body["tokenId"].as_str().unwrap().to_owned()
    }

    pub fn bearer(token: &str) -> (&'static str, String) {
        ("Authorization", format!("Bearer {token}"))
    }

    /// `test::init_service` for the dialect built from `setup`.
    #[macro_export]
    macro_rules! app {
        ($setup:expr) => {{
            let server = custgate_ndata::server(&$setup).expect("the configuration is valid");
            actix_web::test::init_service(
                actix_web::App::new().configure(move |c| server.configure(c)),
            )
            .await
        }};
    }
}
