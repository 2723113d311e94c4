//! Writes `crates/sim/vectors/liquidation.json` (deterministic; commit the result).

fn main() {
    let path = fulcrum_sim::vectors::path();
    let text = fulcrum_sim::vectors::render();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create vectors dir");
    }
    std::fs::write(&path, &text).expect("write vectors");
    println!("wrote {} cases to {}", fulcrum_sim::vectors::cases().len(), path.display());
}
