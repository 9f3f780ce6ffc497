//! Fuzz target `roundtrip`: arbitrary JSON values (built with `arbitrary`) encode and
//! decode back equal; see `sessionlib_fuzz::roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: sessionlib_fuzz::RoundtripInput| {
    sessionlib_fuzz::roundtrip(&input)
});
