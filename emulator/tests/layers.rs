//! The architecture, checked: the emulator's top-level modules form layers (a module imports
//! only from the layers below its own and, within its layer, from the modules listed before
//! it), and the emulator has no import cycle among its top-level modules (the client library
//! checks its own in `core/tests/layers.rs`). A module that mentions `crate::x` (in a
//! `use` or in a path) depends on `x`; `crate::Name` re-exported by `lib.rs` counts as the
//! module that defines it. Test code (`#[cfg(test)]`) is not counted. (The `layers` crate
//! reads the graph.)

use std::path::Path;

/// The emulator's layers, bottom up, each in the order its modules may build on one another
/// (see the map at the top of `emulator/src/lib.rs`).
const EMULATOR_LAYERS: &[(&str, &[&str])] = &[
    (
        "plain data and primitives",
        &[
            "util",
            "clock",
            "errors",
            "jose",
            "form",
            "faults",
            "action_api",
            "native_social",
            "google",
            "config",
        ],
    ),
    ("shared state: the tenant and its persistence", &["tenant", "persist"]),
    ("protocol checks", &["access_tokens", "client_auth", "dpop", "actions"]),
    (
        "endpoint families",
        &[
            "token_endpoint",
            "userinfo",
            "discovery",
            "management",
            "token_vault",
            "control",
        ],
    ),
    ("the server", &["server"]),
];

fn graph() -> layers::Graph {
    layers::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn the_emulator_has_no_import_cycle() {
    let found = layers::cycles(&graph());
    assert!(
        found.is_empty(),
        "import cycles among emulator/src's modules: {found:?}"
    );
}

#[test]
fn each_emulator_module_imports_only_from_layers_below_its_own() {
    let problems = layers::layering_problems(&graph(), EMULATOR_LAYERS, "add it to EMULATOR_LAYERS and lib.rs's map");
    assert!(problems.is_empty(), "layering violations:\n{}", problems.join("\n"));
}
