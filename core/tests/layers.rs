//! The architecture of the client library, checked: `core/src`'s top-level modules form
//! layers, bottom up (plain data and errors; HTTP, DPoP and validation; the client; the
//! flows; the credentials manager), a module imports only from the layers below its own and,
//! within its layer, from the modules listed before it, so there is no import cycle. A module
//! that mentions `crate::x` (in a `use` or in a path) depends on `x`; `crate::Name`
//! re-exported by `lib.rs` counts as the module that defines it. Test code (`#[cfg(test)]`)
//! and comments are not counted (see the `layers` crate, which reads the graph; the emulator
//! checks its own layers in `emulator/tests/layers.rs`).

use std::path::Path;

/// Core's layers, bottom up, each in the order its modules may build on one another (the map
/// in DEVELOPERS.md).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "plain data and errors",
        &[
            "secret",
            "transport",
            "time",
            "error",
            "validate",
            "json",
            "parameters",
            "claims",
            "config",
            "cancel",
        ],
    ),
    (
        "HTTP, DPoP, client authentication, token responses, ID token validation",
        &["dpop", "http", "client_auth", "token_set", "id_token"],
    ),
    ("the client", &["client"]),
    (
        "the flows and the other endpoints",
        &[
            "native_social",
            "custom_token_exchange",
            "token_vault",
            "refresh",
            "revoke",
            "resource",
            "management",
        ],
    ),
    ("on top: the credentials manager", &["credentials"]),
];

fn graph() -> layers::Graph {
    layers::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn core_has_no_import_cycle() {
    let found = layers::cycles(&graph());
    assert!(found.is_empty(), "import cycles among core/src's modules: {found:?}");
}

#[test]
fn each_module_imports_only_from_layers_below_its_own() {
    let problems = layers::layering_problems(
        &graph(),
        LAYERS,
        "add it to LAYERS and to DEVELOPERS.md's list of core's layers",
    );
    assert!(problems.is_empty(), "layering violations:\n{}", problems.join("\n"));
}
