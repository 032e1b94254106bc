package dev.banger.cli;

import dev.banger.api.Params;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain-text table: a header row, left-aligned columns two spaces apart, no trailing blanks. */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();
    /** Per row, per column: a URL the cell's text links to (OSC 8 hyperlink), or null. */
    private final List<String[]> links = new ArrayList<>();

    Table(String... headers) {
        this.headers = List.of(headers);
    }

    Table row(String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + headers.size() + " columns");
        }
        rows.add(Arrays.stream(cells).map(c -> c == null || c.isEmpty() ? "-" : c).toList());
        links.add(new String[cells.length]);
        return this;
    }

    /**
     * Makes the last row's cell in {@code column} a terminal hyperlink to {@code url} (OSC 8: a click
     * opens it where the terminal supports it; elsewhere only the text shows). Callers add links only
     * when writing to a terminal, and only URLs they built themselves.
     */
    Table link(int column, String url) {
        links.getLast()[column] = url;
        return this;
    }

    void print(PrintWriter out) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> r : rows) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        }
        line(out, headers, new String[headers.size()], widths);
        for (int r = 0; r < rows.size(); r++) {
            line(out, rows.get(r), links.get(r), widths);
        }
        out.flush();
    }

    /** Labelled lines, values aligned ("Name:           web"); a missing value shows as "-". */
    static void fields(PrintWriter out, String[][] fields) {
        for (String[] f : fields) {
            out.println(String.format("%-15s %s", f[0] + ":", f[1] == null ? "-" : f[1]));
        }
        out.flush();
    }

    /** Checks as CHECK RESULT DETAIL, a failed one's result written as {@code failed}. */
    static void checks(PrintWriter out, List<Params.Check> checks, String failed) {
        Table t = new Table("CHECK", "RESULT", "DETAIL");
        for (Params.Check c : checks) {
            t.row(c.name(), c.ok() ? "ok" : failed, c.detail());
        }
        t.print(out);
    }

    private static void line(PrintWriter out, List<String> cells, String[] links, int[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            sb.append(links[i] == null ? c : "\u001b]8;;" + links[i] + "\u001b\\" + c + "\u001b]8;;\u001b\\");
            if (i < cells.size() - 1) {
                sb.append(" ".repeat(widths[i] - c.length() + 2));
            }
        }
        out.println(sb);
    }
}
