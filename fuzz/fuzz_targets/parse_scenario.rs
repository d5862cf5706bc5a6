//! Fuzz target: no input makes the scenario parser panic, and every error it returns
//! names the file and a real position. `cargo +nightly fuzz run parse_scenario`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    if let Err(errors) = faultline_scenario::parse(source, "fuzz.ron") {
        for error in errors.0 {
            assert!(error.line >= 1 && error.col >= 1, "{error}");
            assert_eq!(error.file, "fuzz.ron");
        }
    }
});
