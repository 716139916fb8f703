fn main() {
    accountkit_codegen::build_script("pangea");
}
