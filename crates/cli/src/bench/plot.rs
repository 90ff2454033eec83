//! The bench figure: each kernel's estimated point against the chip's roofline (left) and
//! the memory wall (right), as SVG and PNG.
//!
//! PNG text is drawn with a font compiled into the binary (Ubuntu Light, from
//! `epaint_default_fonts`), so it renders on a machine without fontconfig or system fonts.

use std::path::{Path, PathBuf};

use plotters::coord::combinators::LogCoord;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::error::CliError;
use crate::estimate::MODEL_HBM_SPEEDUP;
use pallas_flash::tiling::Target;

/// One estimated kernel on the roofline.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub label: String,
    /// FLOP per HBM byte (the problem's floor bytes).
    pub intensity: f64,
    pub tflops: f64,
    /// Ours (filled) or a peer/baseline (hollow).
    pub ours: bool,
}

/// A memory-wall series: (sequence length, HBM GiB) per compile that fit, and the OOMs.
#[derive(Clone, Debug, PartialEq)]
pub struct WallSeries {
    pub label: String,
    pub fits: Vec<(usize, f64)>,
    /// (sequence length, GiB libtpu said it needs) for compiles that ran out of HBM.
    pub ooms: Vec<(usize, f64)>,
    pub ours: bool,
}

const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (1500, 620);

/// Writes `<stem>.svg` and `<stem>.png`.
pub fn draw(
    stem: &Path,
    chip: &Target,
    points: &[Point],
    walls: &[WallSeries],
) -> Result<(PathBuf, PathBuf), CliError> {
    // Registering twice is harmless; the font bytes are static.
    register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT)
        .map_err(|_| CliError::Flag("the embedded plot font did not load".into()))?;
    let (svg, png) = (stem.with_extension("svg"), stem.with_extension("png"));
    if let Some(dir) = stem.parent() {
        std::fs::create_dir_all(dir)
            .map_err(CliError::io(format!("cannot create {}", dir.display())))?;
    }
    figure(
        SVGBackend::new(&svg, SIZE).into_drawing_area(),
        chip,
        points,
        walls,
    )?;
    figure(
        BitMapBackend::new(&png, SIZE).into_drawing_area(),
        chip,
        points,
        walls,
    )?;
    Ok((svg, png))
}

fn plot_error(e: impl std::fmt::Display) -> CliError {
    CliError::Flag(format!("drawing the plot failed: {e}"))
}

fn figure<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    chip: &Target,
    points: &[Point],
    walls: &[WallSeries],
) -> Result<(), CliError> {
    root.fill(&WHITE).map_err(plot_error)?;
    let (left, right) = root.split_horizontally(SIZE.0 * 11 / 20);
    roofline(&left, chip, points)?;
    memory_wall(&right, chip, walls)?;
    root.present().map_err(plot_error)
}

fn roofline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chip: &Target,
    points: &[Point],
) -> Result<(), CliError> {
    let peak = chip.peaks.bf16 / 1e12;
    let bw = chip.hbm_bytes_per_s / 1e12;
    let x_max = points.iter().map(|p| p.intensity).fold(4096.0, f64::max) * 2.0;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "{} roofline: libtpu static estimates (not measurements)",
                chip.name
            ),
            (FONT, 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((0.25..x_max).log_scale(), (0.25..peak * 1.6).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("arithmetic intensity (FLOP / HBM byte)")
        .y_desc("TFLOP/s")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(plot_error)?;
    let (lo, hi) = (0.25f64.log10(), x_max.log10());
    let curve = move |rate: f64| {
        (0..=200)
            .map(move |i| 10f64.powf(lo + i as f64 / 200.0 * (hi - lo)))
            .map(move |x| (x, (x * rate).min(peak)))
    };
    chart
        .draw_series(LineSeries::new(curve(bw), BLACK.stroke_width(2)))
        .map_err(plot_error)?
        .label(format!(
            "spec roofline ({peak:.0} TFLOP/s, {:.0} GB/s)",
            bw * 1e3
        ))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            curve(bw * MODEL_HBM_SPEEDUP),
            RGBColor(150, 150, 150).stroke_width(1),
        ))
        .map_err(plot_error)?
        .label(format!(
            "libtpu model HBM rate ({:.2} TB/s)",
            bw * MODEL_HBM_SPEEDUP
        ))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RGBColor(150, 150, 150)));
    for (i, p) in points.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let style = if p.ours {
            color.filled()
        } else {
            color.stroke_width(2)
        };
        chart
            .draw_series(std::iter::once(Circle::new(
                (p.intensity, p.tflops),
                6,
                style,
            )))
            .map_err(plot_error)?
            .label(format!("{} ({:.1} TFLOP/s)", p.label, p.tflops))
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, style));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

type LogLog = Cartesian2d<LogCoord<f64>, LogCoord<f64>>;

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, LogLog>,
    position: SeriesLabelPosition,
) -> Result<(), CliError> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)
}

fn memory_wall<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chip: &Target,
    walls: &[WallSeries],
) -> Result<(), CliError> {
    let capacity = chip.hbm_bytes as f64 / (1u64 << 30) as f64;
    let all = walls.iter().flat_map(|w| w.fits.iter().chain(&w.ooms));
    let x_max = all.clone().map(|(n, _)| *n as f64).fold(16384.0, f64::max) * 2.0;
    let y_max = all.map(|(_, g)| *g).fold(capacity, f64::max) * 1.5;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "memory wall: compiles within one {} ({capacity:.0} GiB HBM)?",
                chip.name
            ),
            (FONT, 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((512.0..x_max).log_scale(), (0.5..y_max).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("sequence length N")
        .y_desc("HBM needed (GiB)")
        .x_label_formatter(&|x| format!("{:.0}k", *x / 1000.0))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_series(LineSeries::new(
            [(512.0, capacity), (x_max, capacity)],
            RED.stroke_width(2),
        ))
        .map_err(plot_error)?
        .label(format!("{capacity:.0} GiB HBM"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
    for (i, w) in walls.iter().enumerate() {
        let color = Palette99::pick(i + 3).to_rgba();
        let width = if w.ours { 3 } else { 2 };
        let mut series: Vec<(f64, f64)> = w
            .fits
            .iter()
            .chain(&w.ooms)
            .map(|(n, g)| (*n as f64, *g))
            .collect();
        series.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(series, color.stroke_width(width)))
            .map_err(plot_error)?
            .label(w.label.clone())
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], color.stroke_width(width))
            });
        chart
            .draw_series(
                w.fits
                    .iter()
                    .map(|(n, g)| Circle::new((*n as f64, *g), 4, color.filled())),
            )
            .map_err(plot_error)?;
        chart
            .draw_series(
                w.ooms
                    .iter()
                    .map(|(n, g)| Cross::new((*n as f64, *g), 6, RED.stroke_width(2))),
            )
            .map_err(plot_error)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_svg_with_text_and_a_png_without_system_fonts() {
        let dir = tempfile::tempdir().unwrap();
        let points = [Point {
            label: "ours matmul".into(),
            intensity: 1365.0,
            tflops: 185.0,
            ours: true,
        }];
        let walls = [WallSeries {
            label: "XLA attention".into(),
            fits: vec![(8192, 4.5)],
            ooms: vec![(16384, 17.0)],
            ours: false,
        }];
        let (svg, png) = draw(
            &dir.path().join("roofline"),
            &Target::v5e(),
            &points,
            &walls,
        )
        .unwrap();
        let svg_text = std::fs::read_to_string(svg).unwrap();
        assert!(svg_text.contains("ours matmul") && svg_text.contains("memory wall"));
        let png_bytes = std::fs::read(png).unwrap();
        assert_eq!(&png_bytes[1..4], b"PNG");
        assert!(
            png_bytes.len() > 20_000,
            "a chart with text, not a blank image: {} bytes",
            png_bytes.len()
        );
    }
}
