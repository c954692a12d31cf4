package dev.apr.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

class AprCliTest {
    @Test
    void helpListsEveryCommand() {
        CommandLine cl = AprCli.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("--help"));
        for (String c : new String[] {"import", "inspect", "run", "bench", "tokenize", "pretrain", "stamp",
                "export", "hub", "publish", "pull", "audit", "verify", "quickstart"}) {
            assertTrue(out.toString().contains(c), "help lists " + c);
        }
    }
}
