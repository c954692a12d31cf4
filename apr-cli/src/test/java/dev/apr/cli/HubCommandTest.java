package dev.apr.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

class HubCommandTest {
    @Test
    void hubListsServeWithItsOptionsAndDefaults() {
        CommandLine cl = AprCli.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("hub", "serve", "--help"));
        String help = out.toString();
        for (String opt : new String[] {"--port", "--host", "--data", "--token-file", "--multipart-threshold-mb"})
            assertTrue(help.contains(opt), "serve --help lists " + opt);
        assertTrue(help.contains("default: 7878"), "the port HubSettings.DEFAULT_EMBEDDED_ENDPOINT expects");
    }

    @Test
    void badPortIsAUsageError() {
        CommandLine cl = AprCli.commandLine();
        cl.setErr(new PrintWriter(new StringWriter()));
        assertEquals(1, cl.execute("hub", "serve", "--port", "70000"));
        assertEquals(1, cl.execute("hub", "serve", "--multipart-chunk-mb", "1"));
    }
}
