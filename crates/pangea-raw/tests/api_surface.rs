//! The generated client's public surface, reviewed as a snapshot.
//! Refresh with `cargo xtask regen`.

#[test]
fn api_surface() {
    let surface = include_str!(concat!(env!("OUT_DIR"), "/surface.rs"));
    insta::with_settings!({ omit_expression => true, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("pangea", surface);
    });
}
