//! The cargo-fuzz corpus (`core_rs/fuzz/corpus/core`), replayed through the fuzz target's
//! properties on every `cargo test`: what libFuzzer once found interesting stays checked
//! without nightly. Fuzzing itself: `cargo +nightly fuzz run core fuzz/corpus/core`.

include!("../fuzz/properties.rs");

#[test]
fn every_corpus_input_keeps_the_properties() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/core");
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).expect("the committed corpus") {
        let path = entry.expect("a corpus entry").path();
        check(&std::fs::read(&path).expect("a corpus file"));
        inputs += 1;
    }
    assert!(inputs > 50, "only {inputs} inputs in {}", dir.display());
}
