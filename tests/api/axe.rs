//! axe-core (the npm package, pinned in `tests/tools/package.json`, installed by `.ci/run`
//! with `npm ci --prefix tests/tools`), injected into pages by the browser tests. Nothing
//! comes from a CDN; a missing package fails the test.

use serde_json::{json, Value};

use crate::webdriver::Browser;

fn source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}. Install the test tools: npm ci --prefix tests/tools (bash .ci/run does)",
            path.display()
        )
    })
}

/// Every violation axe finds on the page now (any impact; WCAG 2.2 A and AA, best practices,
/// and the experimental rules such as "label in name"), as readable lines. Frames are
/// left out: the widgets are scanned as pages of their own, and emails shown in a sandbox
/// run no script.
pub async fn violations(b: &Browser) -> Vec<String> {
    b.js(&format!("{}\n;return typeof axe;", source()), json!([])).await;
    let found = b
        .js_async(
            "var done = arguments[arguments.length - 1];
             axe.run(document, { iframes: false, resultTypes: ['violations'],
               runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice', 'experimental'] } }).then(function (r) {
               done(r.violations.map(function (v) {
                 return v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                   v.nodes.slice(0, 4).map(function (n) { return n.target.join(' '); }).join(' | ');
               }));
             }).catch(function (e) { done(['axe failed: ' + e]); });",
            json!([]),
        )
        .await;
    match found {
        Value::Array(lines) => lines
            .into_iter()
            .map(|l| l.as_str().unwrap_or_default().to_string())
            .collect(),
        other => vec![format!("axe answered {other}")],
    }
}
