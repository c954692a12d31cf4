package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code apr} command line: parse, call one library entry point, print. */
@Command(name = "apr", mixinStandardHelpOptions = true, version = "apr 0.1.0",
        description = "Take a small decoder-only LM (Llama, Qwen2) from checkpoint to a published, working model repository.",
        subcommands = {
                ImportCommand.class, InspectCommand.class, RunCommand.class, BenchCommand.class,
                TokenizeCommand.class, PretrainCommand.class, StampCommand.class, ExportCommand.class,
                HubCommand.class, PublishCommand.class, PullCommand.class, AuditCommand.class,
                VerifyCommand.class, QuickstartCommand.class,
                CommandLine.HelpCommand.class})
public final class AprCli implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) {
        // Jetty and JGit log through SLF4J; apr reports through its own output, so the facade's
        // "no providers" notice is noise for a CLI user (set the property to see it again).
        if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code; tests call this in-process. */
    public static int execute(String... args) {
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new AprCli());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof AprException ae) {
                cmd.getErr().println("apr " + cmd.getCommandName() + ": error [" + ae.code() + "]: " + ae.getMessage());
                cmd.getErr().flush();
                return ae.exitCode();
            }
            if (System.getenv("APR_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            cmd.getErr().println("apr " + cmd.getCommandName() + ": internal error: " + ex);
            cmd.getErr().flush();
            return 70;
        });
        cl.setExitCodeExceptionMapper(ex -> AprException.USAGE);
        return cl;
    }
}
