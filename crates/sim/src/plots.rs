//! SVG and PNG plots with `plotters`. Text uses a TrueType font loaded at run time through
//! `ab_glyph` (no system library at build time); without a font the plots are drawn without
//! text.

use crate::book::World;
use crate::report::ScenarioReport;
use crate::sim::Row;
use crate::sweep::SweepReport;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::error::Error;
use std::path::Path;
use std::sync::OnceLock;

type Res = Result<(), Box<dyn Error>>;

/// Fonts tried in order (Debian's fonts-dejavu-core first).
const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

static TEXT: OnceLock<bool> = OnceLock::new();

/// Registers a font for "sans-serif"; false (plots without text) when none is found or
/// `FULCRUM_SIM_NO_FONT` is set.
pub fn text() -> bool {
    *TEXT.get_or_init(|| {
        if std::env::var_os("FULCRUM_SIM_NO_FONT").is_some() {
            return false;
        }
        FONT_PATHS.iter().any(|p| {
            std::fs::read(p).is_ok_and(|bytes| {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
            })
        })
    })
}

macro_rules! render {
    ($dir:expr, $stem:expr, $size:expr, $f:ident ( $($arg:expr),* )) => {{
        let svg = $dir.join(format!("{}.svg", $stem));
        {
            let root = SVGBackend::new(&svg, $size).into_drawing_area();
            $f(&root, $($arg),*)?;
            root.present()?;
        }
        let png = $dir.join(format!("{}.png", $stem));
        {
            let root = BitMapBackend::new(&png, $size).into_drawing_area();
            $f(&root, $($arg),*)?;
            root.present()?;
        }
    }};
}

/// The four per-scenario plots, under `dir`.
pub fn scenario_plots(dir: &Path, world: &World, r: &ScenarioReport) -> Res {
    render!(dir, "price_liquidations", (1000, 640), draw_price(world, r));
    render!(dir, "aggregate_leverage", (900, 400), draw_leverage(world, r));
    render!(dir, "insurance_pool", (900, 560), draw_funds(world, r));
    render!(dir, "leverage_histogram", (900, 450), draw_histogram(r));
    Ok(())
}

/// The sweep heat map, under `dir`.
pub fn sweep_plot(dir: &Path, s: &SweepReport) -> Res {
    render!(dir, "sweep_heatmap", (760, 600), draw_heatmap(s));
    Ok(())
}

fn hours(world: &World, step: usize) -> f64 {
    step as f64 * world.cfg.scenario.step_minutes / 60.0
}

fn builder<'a, 'b, DB: DrawingBackend>(area: &'a DrawingArea<DB, Shift>, title: &str) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin(12);
    if text() {
        b.caption(title, ("sans-serif", 20)).x_label_area_size(36).y_label_area_size(64);
    } else {
        b.x_label_area_size(8).y_label_area_size(8);
    }
    b
}

fn mesh<DB: DrawingBackend, X, Y>(c: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>, x: &str, y: &str) -> Res
where
    X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    DB::ErrorType: 'static,
{
    let mut m = c.configure_mesh();
    m.light_line_style(WHITE.mix(0.0));
    if text() {
        m.x_desc(x).y_desc(y);
    } else {
        m.x_labels(0).y_labels(0);
    }
    m.draw()?;
    Ok(())
}

fn draw_price<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, world: &World, r: &ScenarioReport) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(420);
    let series = &r.first.series;
    let t_end = hours(world, series.len());
    let n = world.markets.len();
    let index = |row: &Row, m: usize| 100.0 * row.prices_usd[m] / series[0].prices_usd[m];
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for row in series {
        for m in 0..n {
            lo = lo.min(index(row, m));
            hi = hi.max(index(row, m));
        }
    }
    let title = format!("{}: prices (start = 100), path 0", r.scenario);
    let mut c = builder(&top, &title).build_cartesian_2d(0.0..t_end, (lo * 0.95)..(hi * 1.03))?;
    mesh(&mut c, "hours", "price index")?;
    for m in 0..n {
        let color = Palette99::pick(m).to_rgba();
        let line = series.iter().map(|row| (hours(world, row.step), index(row, m)));
        let s = c.draw_series(LineSeries::new(line, color.stroke_width(2)))?;
        if text() {
            s.label(world.cfg.markets[m].name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        }
    }
    if text() {
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerLeft)
            .draw()?;
    }
    let max = series.iter().map(|row| row.liquidated_usd / 1e6).fold(0.0, f64::max).max(1e-3);
    let mut c = builder(&bottom, "liquidated notional per step ($M)").build_cartesian_2d(0.0..t_end, 0.0..max * 1.1)?;
    mesh(&mut c, "hours", "$M")?;
    let w = hours(world, 1).max(t_end / 600.0);
    c.draw_series(series.iter().filter(|row| row.liquidated_usd > 0.0).map(|row| {
        let x = hours(world, row.step);
        Rectangle::new([(x, 0.0), (x + w, row.liquidated_usd / 1e6)], RED.mix(0.8).filled())
    }))?;
    Ok(())
}

fn draw_leverage<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, world: &World, r: &ScenarioReport) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let series = &r.first.series;
    let pts: Vec<(f64, f64)> = series
        .iter()
        .filter(|row| row.aggregate_leverage < crate::sim::MAX_AGGREGATE_LEVERAGE)
        .map(|row| (hours(world, row.step), row.aggregate_leverage))
        .collect();
    let max = pts.iter().map(|p| p.1).fold(0.0, f64::max).max(1.0);
    let title = format!("{}: aggregate leverage (Σ notional / Σ equity; gaps: equity ≤ 0)", r.scenario);
    let mut c = builder(root, &title).build_cartesian_2d(0.0..hours(world, series.len()), 0.0..max * 1.1)?;
    mesh(&mut c, "hours", "leverage ×")?;
    c.draw_series(LineSeries::new(pts, BLUE.stroke_width(2)))?;
    Ok(())
}

fn draw_funds<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, world: &World, r: &ScenarioReport) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let series = &r.first.series;
    let t_end = hours(world, series.len());
    let areas = root.split_evenly((2, 1));
    type Panel<'a> = (&'a str, &'a dyn Fn(&Row) -> f64, RGBColor);
    let panels: [Panel; 2] = [
        ("insurance fund ($M)", &|row| row.insurance_usd / 1e6, GREEN),
        ("pool value ($M)", &|row| row.pool_value_usd / 1e6, MAGENTA),
    ];
    for (area, (title, f, color)) in areas.iter().zip(panels) {
        let v: Vec<f64> = series.iter().map(f).collect();
        let lo = v.iter().copied().fold(f64::MAX, f64::min);
        let hi = v.iter().copied().fold(f64::MIN, f64::max);
        let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.01).max(1e-3);
        let title = format!("{}: {title}", r.scenario);
        let mut c = builder(area, &title).build_cartesian_2d(0.0..t_end, (lo - pad)..(hi + pad))?;
        mesh(&mut c, "hours", "$M")?;
        let pts = series.iter().zip(v).map(|(row, y)| (hours(world, row.step), y));
        c.draw_series(LineSeries::new(pts, color.stroke_width(2)))?;
    }
    Ok(())
}

fn draw_histogram<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &ScenarioReport) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    const BINS: usize = 40;
    const MAX: f64 = 20.0;
    let count = |v: &[f64]| {
        let mut h = [0u32; BINS];
        for &x in v {
            h[((x / MAX * BINS as f64) as usize).min(BINS - 1)] += 1;
        }
        h
    };
    let before = count(&r.first.leverage_before);
    let after = count(&r.first.leverage_after);
    let top = before.iter().chain(&after).copied().max().unwrap_or(1).max(1) as f64;
    let title = format!("{}: account leverage before (blue) / after (red), path 0", r.scenario);
    let mut c = builder(root, &title).build_cartesian_2d(0.0..MAX, 0.0..top * 1.1)?;
    mesh(&mut c, "effective leverage × (last bin: ≥ 20 or no equity)", "accounts")?;
    let w = MAX / BINS as f64;
    for (h, color, off) in [(before, BLUE, 0.0), (after, RED, 0.5)] {
        let s = c.draw_series(h.iter().enumerate().map(|(i, &n)| {
            let x = i as f64 * w + off * w;
            Rectangle::new([(x, 0.0), (x + w * 0.5, f64::from(n))], color.mix(0.75).filled())
        }))?;
        if text() {
            let label = if off == 0.0 { "before" } else { "after" };
            s.label(label).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
    }
    if text() {
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
    }
    Ok(())
}

fn draw_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &SweepReport) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (nx, ny) = (s.buffers.len(), s.maint_ratios.len());
    let title = format!("P(bad debt) — {} scenario, {} paths × {} accounts", s.scenario, s.paths, s.accounts);
    let mut b = builder(root, &title);
    b.x_label_area_size(if text() { 48 } else { 8 });
    let mut c = b.build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)?;
    let (bx, my) = (s.buffers.clone(), s.maint_ratios.clone());
    let fx = move |x: &f64| cell_label(*x, &bx);
    let fy = move |y: &f64| cell_label(*y, &my);
    {
        let mut m = c.configure_mesh();
        m.disable_mesh();
        if text() {
            m.x_desc("liquidation buffer (% of requirement)")
                .y_desc("maintenance margin ratio (%)")
                .x_labels(nx * 2 + 1)
                .y_labels(ny * 2 + 1)
                .x_label_formatter(&fx)
                .y_label_formatter(&fy);
        } else {
            m.x_labels(0).y_labels(0);
        }
        m.draw()?;
    }
    for (i, row) in s.p_bad_debt.iter().enumerate() {
        for (j, &p) in row.iter().enumerate() {
            let color = RGBColor(255, (255.0 * (1.0 - p)) as u8, (255.0 * (1.0 - p)) as u8);
            let (x, y) = (j as f64, i as f64);
            c.draw_series([Rectangle::new([(x, y), (x + 1.0, y + 1.0)], color.filled())])?;
            c.draw_series([Rectangle::new([(x, y), (x + 1.0, y + 1.0)], BLACK.mix(0.3))])?;
            if text() {
                let style = ("sans-serif", 18).into_font().color(&BLACK);
                c.draw_series([Text::new(format!("{p:.2}"), (x + 0.35, y + 0.6), style)])?;
            }
        }
    }
    Ok(())
}

/// Axis label at cell centres: the ppm value as a percentage.
fn cell_label(v: f64, values: &[u32]) -> String {
    let k = v - 0.5;
    if k >= 0.0 && (k - k.round()).abs() < 1e-6 {
        if let Some(x) = values.get(k.round() as usize) {
            return format!("{}", f64::from(*x) / 1e4);
        }
    }
    String::new()
}
