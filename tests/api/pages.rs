//! The summary for people (issue 13, items 3 and 4): the chart (`summary.svg`) and the
//! printable page (`summary.html`) of the demo's two rounds at `DEMO_AS_OF`, on both engines.
//! They render the JSON summary's figures: each test reads the JSON beside them.

use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{demo_year, get, patch};
use crate::support::{TestApp, TestResponse};
use provincial_kpi::demo::DEMO_AS_OF;

both_engines!(
    the_chart_of_the_demo_s_two_rounds,
    the_chart_s_routes_and_problems,
    names_are_escaped_in_the_chart,
    the_page_of_the_demo_s_two_rounds,
    the_page_s_routes_and_problems,
    names_are_escaped_in_the_page,
);

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The demo's framework, its two rounds (ids 1 and 2) and its reports, as `serve --demo`
/// seeds them (tests/api/demo.rs); the evaluation's id.
async fn seeded(app: &TestApp) -> i64 {
    demo_year(app).0
}

fn governor(app: &TestApp) -> String {
    app.token("viewer", Some("TH-35"))
}

async fn fetch(app: &TestApp, token: &str, path: &str) -> TestResponse {
    app.get(path).bearer(token).send().await
}

fn body(response: &TestResponse) -> String {
    String::from_utf8(response.body.to_vec()).expect("UTF-8")
}

/// Every text node under `node`, joined (a `<text>` with `<tspan>`s reads as one).
fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// The `<text>` elements of the chart, as read.
fn texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "text")))
        .map(text_of)
        .collect()
}

/// Parses the chart as XML; checks the SVG root.
fn parse(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML ({e}):\n{svg}"));
    let root = doc.root_element();
    assert!(
        root.has_tag_name((SVG_NS, "svg")),
        "root {:?}",
        root.tag_name()
    );
    assert_eq!(root.attribute("width"), Some("1200"));
    doc
}

fn with_class<'a, 'input>(
    doc: &'a roxmltree::Document<'input>,
    class: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> + 'a {
    doc.descendants()
        .filter(move |n| n.attribute("class") == Some(class))
}

fn percent_text(x: &Value) -> String {
    let x = x.as_f64().expect("a percent");
    let text = format!("{x:.4}");
    format!("{} %", text.trim_end_matches('0').trim_end_matches('.'))
}

/// One bar per due indicator in its status colour, the not-due greyed without a bar, the
/// component and overall percents, the lagging marked, the Thai title and round name as text.
async fn the_chart_of_the_demo_s_two_rounds(app: TestApp) {
    seeded(&app).await;
    let governor = governor(&app);
    for round in [1, 2] {
        let summary = get(
            &app,
            &governor,
            &format!("/api/v1/rounds/{round}/summary?as_of={DEMO_AS_OF}"),
        )
        .await;
        let response = fetch(
            &app,
            &governor,
            &format!("/api/v1/rounds/{round}/summary.svg?as_of={DEMO_AS_OF}"),
        )
        .await;
        response.assert_status(200);
        assert_eq!(
            response.header("content-type").as_deref(),
            Some("image/svg+xml")
        );
        let svg = body(&response);
        let doc = parse(&svg);
        let texts = texts(&doc);
        let has = |wanted: &str| texts.iter().any(|t| t.contains(wanted));
        assert!(
            has(summary["round"]["name"].as_str().expect("name")),
            "{texts:?}"
        );
        assert!(has("จังหวัดยโสธร") && has("พ.ศ. 2565"), "{texts:?}");
        assert!(has("ข้อมูล ณ 10 ส.ค. 2565 10:00 น."), "{texts:?}");
        // The overall percent, and each component's.
        let overall = with_class(&doc, "overall").next().expect("the overall row");
        assert!(text_of(overall).contains(&percent_text(&summary["overall_percent"])));
        for component in summary["components"].as_array().expect("components") {
            let code = component["code"].as_str().expect("code");
            let row = with_class(&doc, "component")
                .find(|n| n.attribute("data-code") == Some(code))
                .unwrap_or_else(|| panic!("component {code}"));
            assert!(
                text_of(row).contains(&percent_text(&component["percent"])),
                "{code}"
            );
        }
        // One row per indicator; a bar for each due one, coloured by its status.
        let indicators = summary["indicators"].as_array().expect("indicators");
        let rows: Vec<_> = with_class(&doc, "indicator").collect();
        assert_eq!(rows.len(), indicators.len());
        let lagging: Vec<&str> = summary["lagging"]
            .as_array()
            .expect("lagging")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for (row, indicator) in rows.iter().zip(indicators) {
            let code = indicator["indicator_code"].as_str().expect("code");
            let status = indicator["status"].as_str().expect("status");
            assert_eq!(row.attribute("data-code"), Some(code));
            assert_eq!(row.attribute("data-status"), Some(status));
            assert_eq!(
                row.attribute("data-lagging"),
                Some(if lagging.contains(&code) {
                    "true"
                } else {
                    "false"
                }),
                "{code}"
            );
            let bars: Vec<_> = row
                .descendants()
                .filter(|n| n.attribute("class") == Some("bar"))
                .collect();
            let text = text_of(*row);
            assert!(
                text.contains(indicator["name"].as_str().expect("name")),
                "{text}"
            );
            if status == "not_due" {
                assert!(bars.is_empty(), "{code}: a not-due indicator has no bar");
                assert!(text.contains("ยังไม่ถึงกำหนด"), "{text}");
                let name = row
                    .descendants()
                    .find(|n| n.has_tag_name((SVG_NS, "text")))
                    .expect("name");
                assert_eq!(name.attribute("fill"), Some("#9E9E9E"), "{code} greyed");
            } else {
                assert_eq!(bars.len(), 1, "{code}: one bar");
                let colour = match status {
                    "achieved" => "#2E7D32",
                    "below_target" => "#F2A900",
                    "not_met" => "#C62828",
                    "no_data" => "#9C6666",
                    other => panic!("{other}"),
                };
                assert_eq!(bars[0].attribute("fill"), Some(colour), "{code}");
                assert!(
                    text.contains(&percent_text(&indicator["percent"])),
                    "{code}: {text}"
                );
                // A bar's length is its percent of the 0–100 % axis.
                let width: f64 = bars[0]
                    .attribute("width")
                    .expect("width")
                    .parse()
                    .expect("number");
                let percent = indicator["percent"].as_f64().expect("percent");
                assert!(
                    (width - (percent / 100.0 * 560.0).max(3.0)).abs() < 0.06,
                    "{code}: {width}"
                );
            }
        }
        let due = indicators
            .iter()
            .filter(|i| i["status"] != "not_due")
            .count();
        assert_eq!(
            with_class(&doc, "bar").count(),
            due + 1 + summary["components"].as_array().map_or(0, Vec::len)
        );
        // The lagging, lowest first, under the title.
        assert!(has(&lagging.join(", ")), "{texts:?}");
    }
}

/// `summary.svg` is its own route: not the JSON summary's, not a `{id}`; HEAD answers, other
/// methods are 405; an unknown round is 404 and a bad `as_of` 400, both problem+json.
async fn the_chart_s_routes_and_problems(app: TestApp) {
    seeded(&app).await;
    let governor = governor(&app);
    let json = fetch(&app, &governor, "/api/v1/rounds/1/summary").await;
    json.assert_status(200);
    assert_eq!(
        json.header("content-type").as_deref(),
        Some("application/json")
    );
    let svg = fetch(&app, &governor, "/api/v1/rounds/1/summary.svg").await;
    svg.assert_status(200);
    assert_eq!(svg.header("content-type").as_deref(), Some("image/svg+xml"));
    let head = app
        .request(
            actix_web::http::Method::HEAD,
            "/api/v1/rounds/1/summary.svg",
        )
        .bearer(&governor)
        .send()
        .await;
    head.assert_status(200);
    assert!(head.body.is_empty());
    app.post("/api/v1/rounds/1/summary.svg")
        .bearer(&governor)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(405, "method-not-allowed");
    fetch(&app, &governor, "/api/v1/rounds/1/summary.png")
        .await
        .assert_problem(404, "not-found");
    fetch(&app, &governor, "/api/v1/rounds/9999/summary.svg")
        .await
        .assert_problem(404, "not-found");
    let bad = fetch(
        &app,
        &governor,
        "/api/v1/rounds/1/summary.svg?as_of=yesterday",
    )
    .await;
    bad.assert_problem(400, "bad-request");
    assert_eq!(bad.error_fields(), ["as_of"]);
    app.get("/api/v1/rounds/1/summary.svg")
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // Another province's viewer does not see Yasothon's round.
    fetch(
        &app,
        &app.token("province_admin", Some("SPK-PO")),
        "/api/v1/rounds/1/summary.svg",
    )
    .await
    .assert_problem(404, "not-found");
}

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'รอบ'";

/// A round named like markup comes out as text: the chart still parses and reads the name.
async fn names_are_escaped_in_the_chart(app: TestApp) {
    seeded(&app).await;
    patch(
        &app,
        &app.yasothon_admin(),
        "/api/v1/rounds/1",
        json!({"name": HOSTILE}),
    )
    .await
    .assert_status(200);
    let response = fetch(&app, &governor(&app), "/api/v1/rounds/1/summary.svg").await;
    response.assert_status(200);
    let svg = body(&response);
    assert!(!svg.contains("<script"), "{svg}");
    let doc = parse(&svg);
    assert!(texts(&doc).iter().any(|t| t.contains(HOSTILE)), "{svg}");
}

/// Every `src=`/`href=` value (and CSS `url(`) of a page: a page that prints alone has none
/// that leaves it.
fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for marker in ["src=", "href=", "url(", "@import", "http://", "https://"] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(marker) {
            let start = from + at;
            found.push(html[start..(start + 60).min(html.len())].to_owned());
            from = start + marker.len();
        }
    }
    found
}

/// The printable page: A4 print CSS, no script, nothing fetched, the chart inline, the
/// lagging list in order, a row per organization with what it has not sent, the figures.
async fn the_page_of_the_demo_s_two_rounds(app: TestApp) {
    seeded(&app).await;
    let governor = governor(&app);
    let handler = regex::Regex::new(r"(?i)<[^>]*\son[a-z]+\s*=").expect("regex");
    for round in [1, 2] {
        let summary = get(
            &app,
            &governor,
            &format!("/api/v1/rounds/{round}/summary?as_of={DEMO_AS_OF}"),
        )
        .await;
        let response = fetch(
            &app,
            &governor,
            &format!("/api/v1/rounds/{round}/summary.html?as_of={DEMO_AS_OF}"),
        )
        .await;
        response.assert_status(200);
        assert_eq!(
            response.header("content-type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        let html = body(&response);
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains(r#"<html lang="th">"#));
        assert!(html.contains("@page { size: A4;"), "A4 print CSS");
        assert!(!html.to_ascii_lowercase().contains("<script"), "no script");
        assert!(!handler.is_match(&html), "no event handler attributes");
        assert_eq!(
            external_references(&html),
            Vec::<String>::new(),
            "no external resource"
        );
        // The chart inline, the same bars as summary.svg.
        assert_eq!(html.matches("<svg").count(), 1);
        assert_eq!(
            html.matches(r#"class="indicator""#).count(),
            summary["indicators"].as_array().map_or(0, Vec::len)
        );
        assert!(html.contains(summary["round"]["name"].as_str().expect("name")));
        assert!(html.contains("ข้อมูล ณ 10 ส.ค. 2565 10:00 น."));
        assert!(html.contains(&percent_text(&summary["overall_percent"])));
        for component in summary["components"].as_array().expect("components") {
            assert!(html.contains(&percent_text(&component["percent"])));
        }
        // The lagging, lowest first, each with its name.
        let lagging: Vec<&str> = summary["lagging"]
            .as_array()
            .expect("lagging")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!lagging.is_empty());
        let list = &html[html
            .find(r#"<ol class="lagging">"#)
            .expect("the lagging list")..];
        let list = &list[..list.find("</ol>").expect("its end")];
        let positions: Vec<usize> = lagging
            .iter()
            .map(|code| {
                list.find(&format!(r#"<li data-code="{code}">"#))
                    .unwrap_or_else(|| panic!("{code} in {list}"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "in the summary's order"
        );
        for indicator in summary["indicators"].as_array().expect("indicators") {
            let code = indicator["indicator_code"].as_str().expect("code");
            assert_eq!(
                list.contains(indicator["name"].as_str().expect("name")),
                lagging.contains(&code),
                "{code}"
            );
        }
        // A row per organization, with its missing pairs.
        for organization in summary["organizations"].as_array().expect("organizations") {
            let code = organization["organization_code"].as_str().expect("code");
            let start = html
                .find(&format!(r#"<tr data-code="{code}">"#))
                .unwrap_or_else(|| panic!("a row for {code}"));
            let row = &html[start..];
            let row = &row[..row.find("</tr>").expect("row end")];
            assert!(
                row.contains(organization["name_th"].as_str().expect("name")),
                "{row}"
            );
            assert!(
                row.contains(&format!(">{}<", organization["expected"])),
                "{row}"
            );
            for missing in organization["missing"].as_array().expect("missing") {
                let pair = format!(
                    "{} {}",
                    missing["indicator_code"].as_str().expect("code"),
                    missing["period_label_th"].as_str().expect("label")
                );
                assert!(row.contains(&pair), "{code}: {pair} in {row}");
            }
        }
        assert!(html.contains(&format!(
            "ขาด {} รายงาน",
            summary["completeness"]["missing"]
        )));
    }
}

async fn the_page_s_routes_and_problems(app: TestApp) {
    seeded(&app).await;
    let governor = governor(&app);
    let page = fetch(&app, &governor, "/api/v1/rounds/2/summary.html").await;
    page.assert_status(200);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    fetch(&app, &governor, "/api/v1/rounds/9999/summary.html")
        .await
        .assert_problem(404, "not-found");
    let bad = fetch(
        &app,
        &governor,
        "/api/v1/rounds/2/summary.html?as_of=2022-13-01",
    )
    .await;
    bad.assert_problem(400, "bad-request");
    assert_eq!(bad.error_fields(), ["as_of"]);
    fetch(&app, &governor, "/api/v1/rounds/2/summary.html?format=pdf")
        .await
        .assert_problem(400, "bad-request");
    app.get("/api/v1/rounds/2/summary.html")
        .send()
        .await
        .assert_problem(401, "unauthorized");
    fetch(
        &app,
        &app.token("province_admin", Some("SPK-PO")),
        "/api/v1/rounds/2/summary.html",
    )
    .await
    .assert_problem(404, "not-found");
    // An agency officer reads the meeting's page like the summary.
    fetch(
        &app,
        &app.token("agency_officer", Some("YST-PEO")),
        "/api/v1/rounds/2/summary.html",
    )
    .await
    .assert_status(200);
}

/// A round and an organization named like markup come out as text in the page (and in the
/// chart inside it).
async fn names_are_escaped_in_the_page(app: TestApp) {
    seeded(&app).await;
    let admin = app.yasothon_admin();
    patch(&app, &admin, "/api/v1/rounds/1", json!({"name": HOSTILE}))
        .await
        .assert_status(200);
    let peo = app.org_id("YST-PEO").await;
    patch(
        &app,
        &admin,
        &format!("/api/v1/organizations/{peo}"),
        json!({"name_th": HOSTILE}),
    )
    .await
    .assert_status(200);
    let response = fetch(&app, &governor(&app), "/api/v1/rounds/1/summary.html").await;
    response.assert_status(200);
    let html = body(&response);
    assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'รอบ'";
    // In the heading line, the chart's text, and the organization's row.
    assert!(html.matches(escaped).count() >= 3, "{html}");
    let row = &html[html.find(r#"<tr data-code="YST-PEO">"#).expect("the row")..];
    assert!(row[..row.find("</tr>").expect("end")].contains(escaped));
}
