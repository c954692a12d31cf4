package dev.apr.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loss against step as an SVG, drawn by hand (no plotting library): a run's {@code loss.svg}
 * (train and validation) and the quickstart's picture of several runs on one axis.
 */
public final class LossCurve {
    private LossCurve() {}

    public record Point(int step, double loss) {}

    /** One line on the plot; {@code markers} draws a dot at each point (sparse series such as evaluations). */
    public record Series(String label, String color, List<Point> points, boolean markers) {}

    static void write(java.nio.file.Path path, List<Point> train, List<Point> val) throws IOException {
        dev.apr.format.io.AtomicWrite.writeString(path, svg("loss (nats) vs step",
                List.of(new Series("train", "#1f77b4", train, false), new Series("val", "#d62728", val, true))));
    }

    public static String svg(String title, List<Series> series) {
        int w = 720, h = 420, left = 60, right = 20, top = 30, bottom = 50;
        int maxStep = 1;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series)
            for (Point p : s.points()) {
                maxStep = Math.max(maxStep, p.step());
                if (Double.isFinite(p.loss())) { lo = Math.min(lo, p.loss()); hi = Math.max(hi, p.loss()); }
            }
        if (!(lo < hi)) { lo = Double.isFinite(lo) ? lo - 1 : 0; hi = lo + 2; }
        double pad = (hi - lo) * 0.05;
        Frame f = new Frame(left, top, w - left - right, h - top - bottom, maxStep, lo - pad, hi + pad);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n", w, h, w, h));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-family=\"sans-serif\" font-size=\"14\">%s</text>%n", left, escape(title)));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", left, top, f.pw, f.ph));
        for (int i = 0; i <= 4; i++) {   // axis ticks
            double v = f.lo + (f.hi - f.lo) * i / 4;
            int y = top + f.ph - (int) Math.round(f.ph * i / 4.0);
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"end\">%.2f</text>%n", left - 5, y + 4, v));
            int s = (int) Math.round((double) maxStep * i / 4);
            int x = left + (int) Math.round(f.pw * i / 4.0);
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"middle\">%d</text>%n", x, top + f.ph + 16, s));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"12\" text-anchor=\"middle\">step</text>%n", left + f.pw / 2, h - 10));
        List<String> legend = new ArrayList<>();
        for (Series s : series) {
            polyline(sb, s, f);
            legend.add(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"12\" fill=\"%s\">%s</text>%n",
                    left + f.pw - 10, top + 16 + 15 * legend.size(), s.color(), escape(s.label())));
        }
        for (String l : legend) sb.append(l.replace("<text ", "<text text-anchor=\"end\" "));
        sb.append("</svg>\n");
        return sb.toString();
    }

    private record Frame(int left, int top, int pw, int ph, int maxStep, double lo, double hi) {
        double x(Point p) { return left + pw * (double) p.step() / maxStep; }
        double y(Point p) { return top + ph - ph * (p.loss() - lo) / (hi - lo); }
    }

    private static void polyline(StringBuilder sb, Series s, Frame f) {
        List<Point> pts = s.points().stream().filter(p -> Double.isFinite(p.loss())).toList();
        if (pts.isEmpty()) return;
        if (pts.size() > 1) {
            sb.append("<polyline fill=\"none\" stroke=\"").append(s.color()).append("\" stroke-width=\"1.5\" points=\"");
            for (Point p : pts) sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", f.x(p), f.y(p)));
            sb.append("\"/>\n");
        }
        if (s.markers() || pts.size() == 1)
            for (Point p : pts)
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", f.x(p), f.y(p), s.color()));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
