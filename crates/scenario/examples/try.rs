fn main() {
    let path = std::env::args().nth(1).unwrap();
    let src = std::fs::read_to_string(&path).unwrap();
    match faultline_scenario::parse(&src, &path) {
        Ok(s) => {
            for v in &s.variants {
                let o = s.run(s.seed, v, false).unwrap();
                println!("{} {:016x} {} {:?}\n  {}\n  {:?}", o.variant, o.trace_hash, o.events, o.metrics, o.verdict, o.violations.iter().map(|v| &v.detail).collect::<Vec<_>>());
            }
            print!("{}", s.schedule_text(s.seed));
        }
        Err(e) => println!("{e}"),
    }
}
