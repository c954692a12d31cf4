package dev.apr.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/** {@code loss.svg}: train and validation loss against step, drawn by hand (no plotting library). */
final class LossCurve {
    private LossCurve() {}

    record Point(int step, double loss) {}

    static void write(Path path, List<Point> train, List<Point> val) throws IOException {
        int w = 720, h = 420, left = 60, right = 20, top = 30, bottom = 50;
        int maxStep = 1;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (List<Point> s : List.of(train, val))
            for (Point p : s) {
                maxStep = Math.max(maxStep, p.step());
                if (Double.isFinite(p.loss())) { lo = Math.min(lo, p.loss()); hi = Math.max(hi, p.loss()); }
            }
        if (!(lo < hi)) { lo = Double.isFinite(lo) ? lo - 1 : 0; hi = lo + 2; }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n", w, h, w, h));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-family=\"sans-serif\" font-size=\"14\">loss (nats) vs step</text>%n", left));
        int pw = w - left - right, ph = h - top - bottom;
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", left, top, pw, ph));
        for (int i = 0; i <= 4; i++) {   // axis ticks
            double v = lo + (hi - lo) * i / 4;
            int y = top + ph - (int) Math.round(ph * i / 4.0);
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"end\">%.2f</text>%n", left - 5, y + 4, v));
            int s = (int) Math.round((double) maxStep * i / 4);
            int x = left + (int) Math.round(pw * i / 4.0);
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"middle\">%d</text>%n", x, top + ph + 16, s));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"12\" text-anchor=\"middle\">step</text>%n", left + pw / 2, h - 10));
        polyline(sb, train, "#1f77b4", maxStep, lo, hi, left, top, pw, ph);
        polyline(sb, val, "#d62728", maxStep, lo, hi, left, top, pw, ph);
        for (Point p : val) {
            if (!Double.isFinite(p.loss())) continue;
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/>%n",
                    left + pw * (double) p.step() / maxStep, top + ph - ph * (p.loss() - lo) / (hi - lo)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#1f77b4\">train</text>%n", w - right - 110, top + 16));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#d62728\">val</text>%n", w - right - 50, top + 16));
        sb.append("</svg>\n");
        dev.apr.format.io.AtomicWrite.writeString(path, sb.toString());
    }

    private static void polyline(StringBuilder sb, List<Point> pts, String color, int maxStep, double lo, double hi,
                                 int left, int top, int pw, int ph) {
        if (pts.isEmpty()) return;
        sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.5\" points=\"");
        for (Point p : pts) {
            if (!Double.isFinite(p.loss())) continue;
            sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + pw * (double) p.step() / maxStep,
                    top + ph - ph * (p.loss() - lo) / (hi - lo)));
        }
        sb.append("\"/>\n");
    }
}
