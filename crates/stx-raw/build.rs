fn main() {
    // Registers the schema the operations are checked against; cynic also
    // tells cargo to rebuild when it changes.
    cynic_codegen::register_schema("stx")
        .from_sdl_file("../../openapi/stx/schema.graphql")
        .expect("openapi/stx/schema.graphql is readable")
        .as_default()
        .expect("openapi/stx/schema.graphql is valid SDL");
}
