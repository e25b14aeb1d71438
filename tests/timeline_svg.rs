//! `autosync play --svg`: the picture of a scenario run as an SVG file a ticket can carry —
//! read back as XML, rendered to pixels, and checked for what must and must not be in it.

mod cli_common;

use std::path::{Path, PathBuf};
use std::process::Output;

use cli_common::play;

fn svg_of(scenarios: &[&str], dir: &Path) -> (Output, String) {
    let file = dir.join("timeline.svg");
    let mut args = vec!["--svg", file.to_str().unwrap()];
    args.extend_from_slice(scenarios);
    let out = play(&args);
    let svg = std::fs::read_to_string(&file).unwrap_or_default();
    (out, svg)
}

fn has_class(node: &roxmltree::Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split(' ').any(|w| w == class))
}

fn texts(node: roxmltree::Node) -> Vec<String> {
    node.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn the_race_under_no_action_draws_four_lanes_a_lost_edit_a_legend_and_a_virtual_time_axis() {
    let dir = tempfile::tempdir().unwrap();
    let (out, svg) = svg_of(&["assets/scenarios/race-no-action.toml"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("wrote the timeline of 1 run(s) to"),
        "{stdout}"
    );
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name("svg"));
    let runs: Vec<_> = root.descendants().filter(|n| has_class(n, "run")).collect();
    assert_eq!(runs.len(), 1, "one lane set per scenario run");
    assert!(texts(runs[0]).contains(&"The data-loss race under No action".to_string()));

    let lane = |name: &str| {
        runs[0]
            .descendants()
            .find(|n| has_class(n, &format!("lane-{name}")))
            .unwrap_or_else(|| panic!("no {name} lane in {svg}"))
    };
    for (name, label) in [
        ("sync", "Sync"),
        ("user", "User"),
        ("server", "Server"),
        ("findings", "Findings"),
    ] {
        assert!(texts(lane(name)).contains(&label.to_string()), "{name}");
    }
    // The sync's phases are labelled bars of a background sync.
    let sync_labels = texts(lane("sync"));
    for phase in ["Connect", "Upload", "Download"] {
        assert!(sync_labels.contains(&phase.to_string()), "{sync_labels:?}");
    }
    assert!(
        lane("sync")
            .descendants()
            .any(|n| has_class(&n, "background"))
    );
    // The second save ran concurrently with the upload; the server held the write.
    assert!(
        lane("user")
            .descendants()
            .any(|n| has_class(&n, "concurrent"))
    );
    assert!(lane("server").descendants().any(|n| has_class(&n, "delay")));
    // The lost edit, with the record and field it is about.
    let lost = lane("findings")
        .descendants()
        .find(|n| has_class(n, "lost") && has_class(n, "overwritten"))
        .expect("a mark for the lost edit");
    assert!(texts(lost).contains(&"account acc-0001 phone".to_string()));

    let legend = root
        .descendants()
        .find(|n| has_class(n, "legend"))
        .expect("a legend");
    let words = texts(legend).join("\n");
    for expected in [
        "background sync phase",
        "save during sync (No action)",
        "business logic holds writes",
        "lost edit: overwritten by the sync",
    ] {
        assert!(words.contains(expected), "{words}");
    }
    let axis = root
        .descendants()
        .find(|n| has_class(n, "axis"))
        .expect("a time axis");
    let axis_words = texts(axis);
    assert!(
        axis_words.contains(&"09:00:00".to_string()),
        "{axis_words:?}"
    );
    assert!(axis_words.iter().any(|w| w.contains("virtual clock")));

    // It renders, at the size it declares.
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(&svg, &options).expect("resvg reads it");
    let size = tree.size().to_int_size();
    let width: u32 = root.attribute("width").unwrap().parse().unwrap();
    let height: u32 = root.attribute("height").unwrap().parse().unwrap();
    assert_eq!((size.width(), size.height()), (width, height));
    assert!(width >= 560 && height >= 300, "{width}×{height}");
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().unwrap();
    let painted = pixmap.pixels().iter().filter(|p| p.alpha() > 0).count();
    assert!(
        painted > (width * height / 20) as usize,
        "{painted} pixels painted"
    );
    let keep = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("race-no-action.png");
    std::fs::write(&keep, &png).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn every_run_gets_its_own_lane_set_and_no_machine_path_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let (out, svg) = svg_of(
        &[
            "assets/scenarios/race-rebase.toml",
            "assets/scenarios/ui-transaction-block-save-saves-while-sync-waits.toml",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let runs: Vec<_> = doc.descendants().filter(|n| has_class(n, "run")).collect();
    assert_eq!(runs.len(), 2);
    assert!(runs[0].descendants().any(|n| has_class(&n, "rebased")));
    assert!(
        runs[1]
            .descendants()
            .any(|n| has_class(&n, "ui-transaction"))
    );
    assert!(runs[1].descendants().any(|n| has_class(&n, "waits-for-ui")));
    for secretish in [
        dir.path().to_str().unwrap(),
        env!("CARGO_MANIFEST_DIR"),
        "/tmp",
        "127.0.0.1",
        "http",
    ] {
        assert!(
            !svg.replace("http://www.w3.org/2000/svg", "")
                .contains(secretish),
            "{secretish}"
        );
    }
}

#[test]
fn a_password_typed_in_the_scenario_is_not_in_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("password.toml");
    std::fs::write(
        &scenario,
        r#"name = "A typed password"

[setup]
settings = { save_password = false }

[[step]]
do = "sync"

[[step]]
do = "password"
value = "Hunter2-Zebra"

[[step]]
do = "wait"
until = "idle"
"#,
    )
    .unwrap();
    let (out, svg) = svg_of(&[scenario.to_str().unwrap()], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The wrong password makes a sync that the picture shows, without the password.
    assert!(svg.contains("Connect"), "{svg}");
    assert!(!svg.contains("Hunter2-Zebra"));
}

#[test]
fn svg_with_a_matrix_is_refused_and_an_unwritable_file_is_named() {
    let out = play(&[
        "--matrix",
        "--svg",
        "x.svg",
        "assets/scenarios/race-no-action.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--svg"));

    let out = play(&[
        "--svg",
        "/nonexistent-dir/x.svg",
        "assets/scenarios/auto-sync-on-start.toml",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write /nonexistent-dir/x.svg"),
        "{stderr}"
    );
}
