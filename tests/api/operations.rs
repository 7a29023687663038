//! Probes, metrics, the OpenAPI document, and errors for routes that do not exist.

use crate::helpers::TestApp;

async fn probes_metrics_and_docs(app: TestApp) {
    assert_eq!(app.get("/healthz", None).await.status, 200);
    assert_eq!(app.get("/readyz", None).await.body["status"], "ready");

    let spec = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(spec.status, 200);
    for path in [
        "/api/v1/me",
        "/api/v1/employees",
        "/api/v1/employees/import",
        "/api/v1/behaviours",
    ] {
        assert!(spec.body["paths"][path].is_object(), "{path} documented");
    }
    // Links (and client generators) name operations by operationId: they must be unique.
    let mut ids: Vec<&str> = spec.body["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("path item").values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let documented = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), documented, "operationIds are unique: {ids:?}");
    let docs = app.client.get(app.url("/docs/")).send().await.expect("docs");
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text().await.unwrap_or_default().contains("swagger"),
        "Swagger UI is served"
    );

    let metrics = app.get("/metrics", None).await;
    assert!(
        metrics.text.contains("champion_http_requests_total"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("route=\"/readyz\""),
        "requests are labelled by route"
    );
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    app.get("/api/v1/nothing-here", None)
        .await
        .assert_problem(404, "not_found", "unknown route");
    let res = app.client.delete(app.url("/healthz")).send().await.expect("request");
    let reply = crate::helpers::Reply::from(res).await;
    reply.assert_problem(405, "method_not_allowed", "wrong method");
}

async fn responses_carry_request_ids(app: TestApp) {
    let reply = app.get("/healthz", None).await;
    assert!(reply.headers.get("x-request-id").is_some());
}

crate::on_both_backends!(
    probes_metrics_and_docs,
    unknown_routes_and_methods_are_problems,
    responses_carry_request_ids
);
