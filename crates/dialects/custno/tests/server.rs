//! The dialect served: the seed's requests replayed, every error byte-exact, enumerations,
//! limits, dates, numbers, tenant isolation, and the API key absent from the logs.

#![cfg(feature = "server")]

mod common;

use actix_web::http::StatusCode;
use common::*;
use custgate_core::{Customer, Status};
use serde_json::{json, Value};

#[actix_rt::test]
async fn the_seeds_add_url_answers_the_seeds_record() {
    let h = Harness::new();
    h.seed_numbers(9).await;
    let (status, body) = h
        .get("/API/Customer/Add/DEVKEY0001?CustName=CustomerName&Status=Active'")
        .await;
    assert_eq!(status, StatusCode::OK);
    check_record_answer("add_response.json", &body, |v| {
        mask(v, "ACCT_DATE");
    });
    assert_recent(&body, "ACCT_DATE");
}

#[actix_rt::test]
async fn the_seeds_add_json_body_is_accepted_verbatim() {
    let h = Harness::new();
    h.seed_numbers(9).await;
    let raw = fixture("add_request.json");
    let (status, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001",
            "application/json",
            raw.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    check_record_answer("add_response.json", &body, |v| mask(v, "ACCT_DATE"));
}

#[actix_rt::test]
async fn the_seeds_edit_requests_are_accepted() {
    let h = Harness::new();
    h.ok("/API/Customer/Add/DEVKEY0001?Custno=0&Custname=Someone&Status=Quote")
        .await;

    // The JSON body, single quotes and all, with a real date in the seed's odd form.
    let raw = fixture("edit_request.json").replace("YYYY-MM-DD", "2014-11-19");
    let (status, body) = h
        .post(
            "/API/Customer/Edit/DEVKEY0001",
            "application/json",
            raw.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, compact(&fixture_json("edit_response.json")));
    assert_eq!(
        body,
        r#"{"$id":"1","Code":200,"Message":"Customer edited successfully.","SessionId":null,"IsValidUser":true,"ResponseObject":null}"#
    );
    let got = h.record("0000000000").await;
    assert_eq!(got["CUSTNAME"], "CustomerName");
    assert_eq!(got["STATUS"], "Active");
    assert_eq!(got["TERRITORY"], "NEW ENGLAND");
    assert_eq!(got["ACCT_DATE"], "2014-11-19T00:00:00");

    // The URL form, with the seed's trailing quote.
    let q = fixture("edit_request.query.txt")
        .trim()
        .replace("YYYY-MM-DD", "2014-11-20")
        .replace(' ', "%20")
        .replace("CustomerName", "Renamed");
    let (_, body) = h.get(&format!("/API/Customer/Edit/DEVKEY0001{q}")).await;
    assert_eq!(body, compact(&fixture_json("edit_response.json")));
    let got = h.record("0000000000").await;
    assert_eq!(got["CUSTNAME"], "Renamed");
    assert_eq!(got["ACCT_DATE"], "2014-11-20T00:00:00");

    // The seed's placeholder itself is not a date.
    let (status, body) = h
        .post(
            "/API/Customer/Edit/DEVKEY0001",
            "application/json",
            fixture("edit_request.json").as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        envelope_403("Customer edit failed.Acct_date must be a date in MM/DD/YYYY format (or YYYY-MM-DD, optionally with a time), from 1753 to 9999.")
    );
}

#[actix_rt::test]
async fn the_seeds_get_requests_answer_the_seeds_record() {
    let h = Harness::new();
    h.seed_numbers(9).await;
    h.ok("/API/Customer/Add/DEVKEY0001?Custname=Customer&Status=Inactive&Territory=new+england")
        .await;
    // An edit that changes something (an Edit equal to what Get shows changes nothing), so
    // that modifiedDate is set as in the example.
    h.ok("/API/Customer/Edit/DEVKEY0001?Custno=0000000010&Status=Active&Acctaxable=N")
        .await;
    let (status, body) = h
        .get("/API/Customer/Get/DEVKEY0001?CustNumOrName=Customer")
        .await;
    assert_eq!(status, StatusCode::OK);
    check_record_answer("get_response.json", &body, |v| {
        mask(v, "ACCT_DATE");
        mask(v, "modifiedDate");
    });
    assert_recent(&body, "modifiedDate");

    let (_, by_body) = h
        .post(
            "/API/Customer/Get/DEVKEY0001",
            "application/json",
            fixture("get_request.json").as_bytes(),
        )
        .await;
    assert_eq!(by_body, body);
}

#[actix_rt::test]
async fn paths_match_ignoring_case_with_get_and_post() {
    let h = Harness::new();
    for (i, path) in [
        "/API/Customer/Add/DEVKEY0001",
        "/api/customer/add/DEVKEY0001",
        "/Api/CUSTOMER/aDD/DEVKEY0001",
    ]
    .into_iter()
    .enumerate()
    {
        let (_, body) = h.get(&format!("{path}?Custname=C{i}&Status=Active")).await;
        assert_eq!(json_of(&body)["Code"], 200, "{path}");
        let (_, body) = h
            .post(
                path,
                "application/json",
                format!(r#"{{"Custname":"P{i}","Status":"Active"}}"#).as_bytes(),
            )
            .await;
        assert_eq!(json_of(&body)["Code"], 200, "{path}");
    }
    let (_, body) = h.get("/api/CUSTOMER/GET/DEVKEY0001?custnumorname=P2").await;
    assert_eq!(json_of(&body)["ResponseObject"]["CUSTNAME"], "P2");
}

#[actix_rt::test]
async fn parameter_names_ignore_case_in_the_query_and_the_body() {
    let h = Harness::new();
    for (i, name) in ["Custname", "CUSTNAME", "custname", "cUsTnAmE"]
        .iter()
        .enumerate()
    {
        let (_, body) = h
            .get(&format!(
                "/API/Customer/Add/DEVKEY0001?{name}=N{i}&STATUS=quote"
            ))
            .await;
        let v = json_of(&body);
        assert_eq!(v["ResponseObject"]["CUSTNAME"], format!("N{i}"), "{name}");
        assert_eq!(v["ResponseObject"]["STATUS"], "Quote");
    }
    // Query string and body together.
    let (_, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001?Status=Active",
            "application/json",
            br#"{"CUSTNAME":"Both","Territory":"east","credlimit":1500.5,"ACCTAXABLE":true}"#,
        )
        .await;
    let r = &json_of(&body)["ResponseObject"];
    assert_eq!(r["CUSTNAME"], "Both");
    assert_eq!(r["TERRITORY"], "EAST");
    assert_eq!(r["CREDLIMIT"], 1500.5);
    assert_eq!(r["ACTTAXABLE"], true);
    // A form body.
    let (_, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001",
            "application/x-www-form-urlencoded",
            b"custname=Form&status=Inactive",
        )
        .await;
    assert_eq!(json_of(&body)["ResponseObject"]["STATUS"], "Inactive");
    // The same parameter twice with different values.
    let (_, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active",
            "application/json",
            br#"{"custname":"B"}"#,
        )
        .await;
    assert_eq!(
        body,
        envelope_403("Customer add failed.Custname is given more than once with different values.")
    );
}

#[actix_rt::test]
async fn add_needs_a_name_and_a_status() {
    let h = Harness::new();
    let (status, body) = h.get("/API/Customer/Add/DEVKEY0001").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        envelope_403("Customer add failed.Custname is required. Status is required and must be one of: Active, Inactive, Quote.")
    );
    let (_, body) = h
        .get("/API/Customer/Add/DEVKEY0001?Custname=A&Status=Blocked")
        .await;
    assert_eq!(
        body,
        envelope_403("Customer add failed.Status must be one of: Active, Inactive, Quote.")
    );
    assert_eq!(h.count().await, 0, "nothing half-written");
}

#[actix_rt::test]
async fn every_enumeration_is_checked_and_stored_in_the_documented_spelling() {
    let h = Harness::new();
    let cases: [(&str, &[&str]); 4] = [
        ("Territory", custgate_custno::validate::TERRITORIES),
        ("Terms", custgate_custno::validate::TERMS),
        ("Creditok", custgate_custno::validate::CREDIT_STATUSES),
        ("Status", custgate_custno::validate::STATUSES),
    ];
    let mut n = 0;
    for (param, values) in cases {
        let field = match param {
            "Creditok" => "CREDITOK".to_owned(),
            p => p.to_uppercase(),
        };
        for v in values {
            n += 1;
            let body =
                json!({"Custname": format!("E{n}"), "Status": "Active", param: v.to_lowercase()});
            let (_, answer) = h.post_json("/API/Customer/Add/DEVKEY0001", &body).await;
            let a = json_of(&answer);
            assert_eq!(a["Code"], 200, "{param}={v}: {answer}");
            assert_eq!(a["ResponseObject"][&field], *v, "{param}={v}");
        }
        let body = json!({"Custname": "Bad", "Status": "Active", param: "nonsense"});
        let (_, answer) = h.post_json("/API/Customer/Add/DEVKEY0001", &body).await;
        assert_eq!(
            answer,
            envelope_403(&format!(
                "Customer add failed.{param} must be one of: {}.",
                values.join(", ")
            ))
        );
    }
    // Edit checks them the same way.
    let (_, answer) = h
        .get("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Terms=NET+60")
        .await;
    assert_eq!(
        answer,
        envelope_403("Customer edit failed.Terms must be one of: NET 10, NET 15, NET 30, NET 30/2% 10, NET 45, COD, NONE.")
    );
}

#[actix_rt::test]
async fn amounts_must_not_be_negative() {
    let h = Harness::new();
    for param in ["Credlimit", "Ar_highBal"] {
        let (_, a) = h
            .get(&format!(
                "/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active&{param}=-0.01"
            ))
            .await;
        assert_eq!(
            a,
            envelope_403(&format!(
                "Customer add failed.{param} must be greater than or equal to 0."
            ))
        );
        let (_, a) = h
            .get(&format!(
                "/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active&{param}=ten"
            ))
            .await;
        assert_eq!(
            a,
            envelope_403(&format!(
                "Customer add failed.{param} must be a number greater than or equal to 0."
            ))
        );
    }
    let (_, a) = h
        .get("/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active&Credlimit=0&AR_HIGHBAL=250.75")
        .await;
    let r = &json_of(&a)["ResponseObject"];
    assert_eq!(r["CREDLIMIT"], 0);
    assert_eq!(r["AR_HIGHBAL"], 250.75);
}

#[actix_rt::test]
async fn dates_are_read_in_every_documented_form() {
    let h = Harness::new();
    for (i, raw) in [
        "11/19/2014",
        "2014-11-19",
        "2014-11-19T00:00:00",
        "2014-11-1900:00:00",
        "2014-11-19 00:00:00",
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"Custname": format!("D{i}"), "Status": "Active", "Acct_date": raw});
        let (_, a) = h.post_json("/API/Customer/Add/DEVKEY0001", &body).await;
        assert_eq!(
            json_of(&a)["ResponseObject"]["ACCT_DATE"],
            "2014-11-19T00:00:00",
            "{raw}: {a}"
        );
    }
    h.ok("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Inactdt=01/31/2020&Inactinit=JS&modifieddate=2020-02-01T10:30:00")
        .await;
    let r = h.record("0000000001").await;
    assert_eq!(r["INACTDT"], "2020-01-31T00:00:00");
    assert_eq!(r["INACTINIT"], "JS");
    assert_eq!(r["modifiedDate"], "2020-02-01T10:30:00");
    let (_, a) = h
        .get("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Inactdt=31/01/2020")
        .await;
    assert_eq!(
        a,
        envelope_403("Customer edit failed.Inactdt must be a date in MM/DD/YYYY format (or YYYY-MM-DD, optionally with a time), from 1753 to 9999.")
    );
}

#[actix_rt::test]
async fn numbers_are_padded_and_unique() {
    let h = Harness::new();
    let (_, a) = h
        .get("/API/Customer/Add/DEVKEY0001?Custno=42&Custname=A&Status=Active")
        .await;
    assert_eq!(json_of(&a)["ResponseObject"]["CUSTNO"], "0000000042");
    let (_, a) = h
        .get("/API/Customer/Add/DEVKEY0001?Custno=0000000042&Custname=B&Status=Active")
        .await;
    assert_eq!(
        a,
        envelope_403("Customer add failed.Custno 0000000042 already exists.")
    );
    let (_, a) = h
        .get("/API/Customer/Add/DEVKEY0001?Custname=C&Status=Active")
        .await;
    assert_eq!(json_of(&a)["ResponseObject"]["CUSTNO"], "0000000043");
    let (_, a) = h
        .get("/API/Customer/Add/DEVKEY0001?Custno=12345678901&Custname=D&Status=Active")
        .await;
    assert_eq!(
        a,
        envelope_403("Customer add failed.Custno must be at most ten digits.")
    );
    // The canonical number has no padding.
    let stored = h
        .store("demo")
        .find(&tenant("demo"), &custgate_core::Key::Number("42".into()))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    // Get takes the number padded or not.
    for n in ["0000000042", "42", " 42 "] {
        let (_, a) = h
            .get(&format!(
                "/API/Customer/Get/DEVKEY0001?CustNumOrName={}",
                n.replace(' ', "%20")
            ))
            .await;
        assert_eq!(json_of(&a)["ResponseObject"]["CUSTNAME"], "A", "{n}");
    }
    // Edit wants ten digits.
    let (_, a) = h
        .get("/API/Customer/Edit/DEVKEY0001?Custno=42&Custname=X")
        .await;
    assert_eq!(
        a,
        envelope_403("Customer edit failed.Custno must be ten digits (for example 0000000010).")
    );
}

#[actix_rt::test]
async fn documented_errors_are_byte_exact() {
    let h = Harness::new();
    let invalid = r#"{"$id":"1","Code":403,"Message":"Invalid API Key.","SessionId":null,"IsValidUser":false,"ResponseObject":null}"#;
    assert_eq!(invalid, compact(&fixture_json("add_error_api_key.json")));
    assert_eq!(invalid, compact(&fixture_json("edit_error_api_key.json")));
    for path in [
        "/API/Customer/Add/WRONGKEY01?Custname=A&Status=Active",
        "/API/Customer/Edit/WRONGKEY01?Custno=0000000001",
        "/API/Customer/Get/WRONGKEY01?CustNumOrName=A",
        "/API/Customer/Get/devkey0001?CustNumOrName=A",
    ] {
        let (status, body) = h.get(path).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, invalid), "{path}");
    }
    let (_, body) = h.get("/API/Customer/Edit/DEVKEY0001?Custname=A").await;
    assert_eq!(body, compact(&fixture_json("edit_error_parameter.json")));
    let (_, body) = h
        .get("/API/Customer/Get/DEVKEY0001?CustNumOrName=Nobody")
        .await;
    assert_eq!(body, compact(&fixture_json("get_not_found.json")));
    let (_, body) = h
        .get("/API/Customer/Edit/DEVKEY0001?Custno=0000000099&Custname=A")
        .await;
    assert_eq!(
        body,
        envelope_403("Customer edit failed.Customer does not exists.")
    );
}

#[actix_rt::test]
async fn unknown_routes_answer_the_web_api_body() {
    let h = Harness::new();
    for (path, fixture_name) in [
        ("/api/CustomerAdd/123456789", "add_error_url.json"),
        ("/api/CustomerEdit/123456789", "edit_error_url.json"),
        (
            "/api/Customer/Get/123456789?CustName=CustomerName",
            "get_error_url.json",
        ),
    ] {
        let (status, body) = h.get_with_host(path, "localhost").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body, compact(&fixture_json(fixture_name)), "{path}");
    }
    let (status, body) = h
        .get_with_host("/API/Customer/Delete/DEVKEY0001", "localhost")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        r#"{"$id":"1","Message":"No HTTP resource was found that matches the request URI 'http://localhost/API/Customer/Delete/DEVKEY0001'.","MessageDetail":"No action was found on the controller 'Customer' that matches the request."}"#
    );
    let (status, body, allow) = h
        .call_method(actix_web::http::Method::PUT, "/API/Customer/Add/DEVKEY0001")
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        body,
        r#"{"$id":"1","Message":"The requested resource does not support http method 'PUT'."}"#
    );
    assert_eq!(allow.as_deref(), Some("GET, POST"));
}

#[actix_rt::test]
async fn the_uri_echo_can_hide_the_key() {
    let h = Harness::with_global(json!({"enabled": true, "echo_request_uri": false}));
    let (_, body) = h
        .get_with_host("/API/Customer/Get/DEVKEY0001?CustName=X", "localhost")
        .await;
    assert!(!body.contains("DEVKEY0001"), "{body}");
    assert!(
        body.contains("'http://localhost/API/Customer/Get/[redacted]?CustName=X'"),
        "{body}"
    );
    let (_, body) = h
        .get_with_host("/api/CustomerAdd/DEVKEY0001", "localhost")
        .await;
    assert!(
        body.contains("'http://localhost/api/CustomerAdd/[redacted]'"),
        "{body}"
    );
}

#[actix_rt::test]
async fn other_dialects_paths_are_left_alone() {
    let h = Harness::new();
    for path in [
        "/api/customer",
        "/api/customer/John",
        "/api/Customer/Add",
        "/api/auth",
        "/api/account/login",
        "/api/biz/customers",
        "/api/biz/customers/3",
        "/api/biz/customers/3/x",
        "/api/other/a/b",
    ] {
        let (status, body) = h.get(path).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::IM_A_TEAPOT, "other dialect"),
            "{path}"
        );
    }
}

#[actix_rt::test]
async fn bodies_are_limited_and_must_be_json_objects() {
    let h = Harness::new();
    let big = format!(
        r#"{{"Custname":"{}","Status":"Active"}}"#,
        "x".repeat(LIMIT_BYTES)
    );
    let (status, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001",
            "application/json",
            big.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        format!(
            r#"{{"$id":"1","Code":413,"Message":"Customer add failed.The request body is larger than {LIMIT_BYTES} bytes.","SessionId":null,"IsValidUser":true,"ResponseObject":null}}"#
        )
    );
    let deep = format!("{{\"Custname\":{}1{}}}", "[".repeat(40), "]".repeat(40));
    let (_, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001",
            "application/json",
            deep.as_bytes(),
        )
        .await;
    assert_eq!(
        body,
        envelope_403("Customer add failed.The request body nests deeper than 32 levels.")
    );
    let (_, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001",
            "application/json",
            b"{\"Custname\":",
        )
        .await;
    assert_eq!(
        body,
        envelope_403("Customer add failed.The request body is not valid JSON.")
    );
    let (_, body) = h
        .post(
            "/API/Customer/Edit/DEVKEY0001",
            "application/json",
            b"[1,2]",
        )
        .await;
    assert_eq!(
        body,
        envelope_403("Customer edit failed.The request body must be a JSON object of parameters.")
    );
    let (_, body) = h
        .post(
            "/API/Customer/Get/DEVKEY0001?CustNumOrName=x",
            "application/json",
            b"nope",
        )
        .await;
    assert_eq!(
        body,
        envelope_403("Customer get failed.The request body is not valid JSON.")
    );
    let (_, body) = h
        .post(
            "/API/Customer/Add/DEVKEY0001",
            "application/json",
            br#"{"Custname":{"a":1},"Status":"Active"}"#,
        )
        .await;
    assert_eq!(
        body,
        envelope_403("Customer add failed.Custname must be a single value.")
    );
    assert_eq!(h.count().await, 0);
}

#[actix_rt::test]
async fn edit_changes_only_what_is_given() {
    let h = Harness::new();
    h.ok("/API/Customer/Add/DEVKEY0001?Custname=Full&Status=Active&Phone=555-1&Fax=555-2&Territory=WEST&Terms=COD&Credlimit=100&Creditok=OK&Ar_highBal=5&Saledsctid=D1&Acctaxable=Y&Acct_date=01/02/2003")
        .await;
    let before = h.record("0000000001").await;
    h.ok("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Terms=net+30&Resl_no=R-9")
        .await;
    let after = h.record("0000000001").await;
    for (k, v) in before.as_object().unwrap() {
        match k.as_str() {
            "TERMS" => assert_eq!(after[k], "NET 30"),
            "RESL_NO" => assert_eq!(after[k], "R-9"),
            "modifiedDate" => assert!(after[k].is_string() && v.is_null()),
            _ => assert_eq!(&after[k], v, "{k}"),
        }
    }
    // An empty value clears an optional field.
    h.ok("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Phone=&Territory=&Credlimit=")
        .await;
    let cleared = h.record("0000000001").await;
    assert_eq!(cleared["PHONE"], "");
    assert_eq!(cleared["FAX"], "555-2");
    assert_eq!(cleared["TERRITORY"], "");
    assert_eq!(cleared["CREDLIMIT"], 0);
}

#[actix_rt::test]
async fn edit_retries_once_when_the_record_changes_underneath() {
    let h = Harness::with_flaky_demo(1);
    h.ok("/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active")
        .await;
    h.ok("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Custname=B")
        .await;
    assert_eq!(h.record("0000000001").await["CUSTNAME"], "B");

    let h = Harness::with_flaky_demo(2);
    h.ok("/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active")
        .await;
    let (_, a) = h
        .get("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Custname=B")
        .await;
    assert_eq!(
        a,
        envelope_403("Customer edit failed.The customer was changed by another request at the same time; try again.")
    );
}

#[actix_rt::test]
async fn canonical_only_states_and_fields_show_sensibly() {
    let h = Harness::new();
    let store = h.store("demo");
    let mut c = Customer::new();
    c.name.first = Some("Ada".into());
    c.name.last = Some("Lovelace".into());
    c.number = Some("77".into());
    c.status = Status::Blocked;
    c.note = Some("note".into());
    c.sales.reps = vec!["R1".into(), "R2".into()];
    c.extension_mut("custno")
        .insert("PROFILE".into(), json!("VIP"));
    c.extension_mut("custno")
        .insert("LABOR".into(), json!(true));
    store
        .create(&tenant("demo"), c, Default::default())
        .await
        .unwrap();

    let r = h.record("0000000077").await;
    assert_eq!(r["CUSTNAME"], "Ada Lovelace");
    assert_eq!(r["STATUS"], "Inactive");
    assert_eq!(r["CUSTNOTE"], "note");
    assert_eq!(r["SREPS"], "R1,R2");
    assert_eq!(r["PROFILE"], "VIP");
    assert_eq!(r["LABOR"], true);
    let (_, a) = h
        .get("/API/Customer/Get/DEVKEY0001?CustNumOrName=Ada%20Lovelace")
        .await;
    assert_eq!(json_of(&a)["ResponseObject"]["CUSTNO"], "0000000077");

    // An edit that does not name the status keeps "blocked".
    h.ok("/API/Customer/Edit/DEVKEY0001?Custno=0000000077&Terms=COD")
        .await;
    let c = &store
        .find(&tenant("demo"), &custgate_core::Key::Number("77".into()))
        .await
        .unwrap()[0];
    assert_eq!(c.status, Status::Blocked);
    assert_eq!(c.extension("custno").unwrap()["PROFILE"], "VIP");
}

#[actix_rt::test]
async fn tenants_never_see_each_other() {
    let h = Harness::new();
    h.ok("/API/Customer/Add/DEVKEY0001?Custno=5&Custname=DemoCo&Status=Active")
        .await;
    // Get by number and by name.
    for q in ["0000000005", "DemoCo"] {
        let (_, a) = h
            .get(&format!("/API/Customer/Get/ACMEKEY001?CustNumOrName={q}"))
            .await;
        assert_eq!(a, compact(&fixture_json("get_not_found.json")), "{q}");
    }
    // Edit.
    let (_, a) = h
        .get("/API/Customer/Edit/ACMEKEY001?Custno=0000000005&Custname=Stolen")
        .await;
    assert_eq!(
        a,
        envelope_403("Customer edit failed.Customer does not exists.")
    );
    assert_eq!(h.record("0000000005").await["CUSTNAME"], "DemoCo");
    // Add: the same number is free in the other tenant.
    let (_, a) = h
        .get("/API/Customer/Add/ACMEKEY001?Custno=5&Custname=AcmeCo&Status=Active")
        .await;
    assert_eq!(json_of(&a)["Code"], 200);
    let (_, a) = h
        .get("/API/Customer/Get/ACMEKEY001?CustNumOrName=0000000005")
        .await;
    assert_eq!(json_of(&a)["ResponseObject"]["CUSTNAME"], "AcmeCo");
    assert_eq!(h.record("0000000005").await["CUSTNAME"], "DemoCo");
    let demo_names: Vec<_> = h
        .store("demo")
        .query(&tenant("demo"), &custgate_core::Query::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.name.display.unwrap_or_default())
        .collect();
    assert_eq!(demo_names, ["DemoCo"]);
}

#[actix_rt::test]
async fn the_api_key_never_reaches_the_logs() {
    let logs = LogCapture::default();
    let guard = logs.install();
    let h = Harness::new();
    h.ok("/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active")
        .await;
    h.ok("/API/Customer/Edit/DEVKEY0001?Custno=0000000001&Custname=B")
        .await;
    h.ok("/API/Customer/Get/DEVKEY0001?CustNumOrName=B").await;
    h.get("/API/Customer/Get/DEVKEY0001?CustNumOrName=Nobody")
        .await;
    h.get("/API/Customer/Add/DEVKEY0001?Custname=A").await;
    h.get("/API/Customer/Get/ACMEKEY001?CustNumOrName=B").await;
    h.get("/API/Customer/Get/WRONGKEY99?CustNumOrName=B").await;
    h.get("/API/Customer/Nope/DEVKEY0001").await;
    h.get("/API/Customer/Get/DEVKEY0001?CustName=x").await;
    drop(guard);
    let text = logs.text();
    assert!(
        text.contains("Request served"),
        "the access log ran: {text}"
    );
    assert!(text.contains("/API/Customer/Get/[redacted]"), "{text}");
    assert!(
        text.contains(r#"custno{action="edit" tenant="demo"}"#),
        "{text}"
    );
    for secret in ["DEVKEY0001", "ACMEKEY001", "WRONGKEY99"] {
        assert!(!text.contains(secret), "{secret} in logs:\n{text}");
    }
}

#[test]
fn configuration_is_checked_at_start() {
    use custgate_http::{DialectSetup, Limits, TenantSetup};
    let t = |id: &str, cfg: Value| TenantSetup {
        id: tenant(id),
        store: std::sync::Arc::new(custgate_core::MemoryStore::new()),
        config: Some(cfg),
    };
    let setup = |tenants| DialectSetup {
        global: json!({"enabled": true}),
        tenants,
        limits: Limits::default(),
    };
    let err = |s: DialectSetup| match custgate_custno::server(&s) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    };

    let e = err(setup(vec![
        t("demo", json!({"api_keys": ["SAMEKEY001"]})),
        t("acme", json!({"api_keys": ["OTHER00001", "SAMEKEY001"]})),
    ]));
    assert_eq!(e.path, "tenants.acme.custno.api_keys[1]");
    assert!(e.message.contains("tenant 'demo'"), "{e}");
    assert!(!e.to_string().contains("SAMEKEY001"));

    let hashed = format!("sha256:{}", custgate_http::sha256_hex("SAMEKEY001"));
    let e = err(setup(vec![
        t("demo", json!({"api_keys": ["SAMEKEY001"]})),
        t("acme", json!({"api_keys": [hashed]})),
    ]));
    assert_eq!(e.path, "tenants.acme.custno.api_keys[0]");

    let e = err(setup(vec![t("demo", json!({"api_keys": ["K1", "K1"]}))]));
    assert!(e.message.contains("listed twice"));
    let e = err(setup(vec![t("demo", json!({"api_keys": []}))]));
    assert_eq!(e.path, "tenants.demo.custno.api_keys");
    let e = err(setup(vec![t("demo", json!({"api_keys": ["sha256:xyz"]}))]));
    assert_eq!(e.path, "tenants.demo.custno");
    let e = err(setup(vec![t(
        "demo",
        json!({"api_keys": ["K"], "keys": []}),
    )]));
    assert!(e.message.contains("unknown field"), "{e}");
    let mut s = setup(vec![]);
    s.global = json!({"enabled": true, "colour": "blue"});
    assert_eq!(err(s).path, "dialects.custno");
}

#[actix_rt::test]
async fn hashed_keys_work_like_plain_ones() {
    let hashed = format!("sha256:{}", custgate_http::sha256_hex("DEVKEY0001"));
    let h = Harness::with_demo_keys(json!([hashed]));
    let (_, a) = h
        .get("/API/Customer/Add/DEVKEY0001?Custname=A&Status=Active")
        .await;
    assert_eq!(json_of(&a)["Code"], 200);
    let (_, a) = h
        .get(&format!(
            "/API/Customer/Add/{hashed}?Custname=A&Status=Active"
        ))
        .await;
    assert_eq!(json_of(&a)["Message"], "Invalid API Key.");
}

/// A misspelt controller such as the seed's `/api/CustomerAdd/{key}` still carries a key,
/// and the access log must redact it too.
#[actix_rt::test]
async fn misspelt_controllers_keep_the_key_out_of_the_access_log() {
    let logs = LogCapture::default();
    let guard = logs.install();
    let h = Harness::new();
    h.get("/api/CustomerAdd/DEVKEY0001").await;
    drop(guard);
    assert!(!logs.text().contains("DEVKEY0001"), "{}", logs.text());
}
