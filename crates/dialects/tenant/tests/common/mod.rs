//! What the server and client tests share: a setup equivalent to config/default.toml's
//! `tenant` sections for `demo` and `acme`, token minting and fixtures.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use custgate_core::{DynStore, MemoryStore, TenantId};
use custgate_http::{DialectSetup, Limits, TenantSetup};
use custgate_testkit::fixtures::{seed_json, seed_text};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub const SECRET: &str = "dev-tenant-jwt-secret";

/// The argon2id hashes of config/default.toml (passwords `demo` and `acme`).
pub const DEMO_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$NLOo++fne7Qn05aX/Gfajg$62gzExpHSttRbQr07m9NAoOMs5l78bMhvdRaAoorCSE";
pub const ACME_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$I1+vLcTjLHhh6c8b9p62jQ$GGbqF/8lifYJc+0Bi0Zw6i6KfezXLf032PTDynQlO7U";

/// `[dialects.tenant]` of config/default.toml (without `enabled`, which the app removes).
pub fn global() -> Value {
    json!({
        "jwt_algorithm": "HS256",
        "jwt_secret": SECRET,
        "token_ttl_secs": 3600,
        "leeway_secs": 30,
        "max_page_size": 100
    })
}

pub fn fixture_text(name: &str) -> String {
    seed_text(env!("CARGO_MANIFEST_DIR"), name)
}

pub fn fixture(name: &str) -> Value {
    seed_json(env!("CARGO_MANIFEST_DIR"), name)
}

pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

/// demo and acme with their users, plus `other`, a tenant without a `tenant` section; all
/// three share one store, as the embedded store is shared in the application.
pub fn setup_with(global: Value, store: DynStore) -> DialectSetup {
    DialectSetup {
        global,
        tenants: vec![
            TenantSetup {
                id: tenant("demo"),
                store: store.clone(),
                config: Some(json!({"users": [
                    {"user_id": "demo", "email": "demo@example.com", "password_hash": DEMO_HASH}
                ]})),
            },
            TenantSetup {
                id: tenant("acme"),
                store: store.clone(),
                config: Some(json!({"users": [
                    {"user_id": "acme", "email": "acme@example.com", "password_hash": ACME_HASH}
                ]})),
            },
            TenantSetup {
                id: tenant("other"),
                store,
                config: None,
            },
        ],
        limits: Limits::default(),
    }
}

pub fn setup() -> (DialectSetup, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    (setup_with(global(), store.clone()), store)
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token with arbitrary claims, signed HS256 with `secret`.
pub fn hs256(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// A valid token for `tenant` under the development configuration.
pub fn token(tenant: &str) -> String {
    hs256(
        json!({"TenantId": tenant, "iat": now(), "exp": now() + 600}),
        SECRET,
    )
}

pub fn bearer(tenant: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {}", token(tenant)))
}

/// A valid create body named `name`.
pub fn body(name: &str) -> Value {
    let mut b = fixture("create_request.json");
    b["cusName"] = name.into();
    b
}
