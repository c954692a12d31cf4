package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.format.apr.AprFile;
import dev.apr.model.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tokenizer that travels with a checkpoint: a GGUF's own {@code tokenizer.ggml.*} keys, the
 * {@code tokenizer.json} (or vocab.json + merges.txt) beside a SafeTensors checkpoint, or the
 * tokenizer an APR file embeds (only when it carries the HAS_VOCAB flag, set by {@code apr stamp}).
 */
public final class ModelTokenizer {
    private ModelTokenizer() {}

    public static Tokenizer load(ModelFile f) {
        return switch (f.format()) {
            case "GGUF" -> Tokenizer.fromGguf(f.metadata());
            case "SafeTensors" -> {
                Path dir = Files.isDirectory(f.path()) ? f.path() : f.path().toAbsolutePath().getParent();
                if (dir == null || !(Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("vocab.json"))))
                    throw AprException.badInput("NO_TOKENIZER", f.path() + ": tokenizer: expected tokenizer.json (or vocab.json + merges.txt) in "
                            + dir + ", got none");
                yield Tokenizer.load(dir);
            }
            case "APR" -> fromApr(f);
            default -> throw AprException.badInput("NO_TOKENIZER", f.path() + ": a " + f.format() + " source has no tokenizer");
        };
    }

    /**
     * An APR's embedded tokenizer, read by {@link Tokenizer#fromAprMetadata} (the one reader of the
     * APR tokenizer keys: the tokenizer itself, its special tokens and its chat template), so
     * {@code apr run} on an APR behaves as on the GGUF or HF directory exported from it.
     */
    private static Tokenizer fromApr(ModelFile f) {
        if (!(f instanceof AprFile a) || !a.hasFlag("HAS_VOCAB"))
            throw AprException.badInput("NO_TOKENIZER", f.path() + ": flags: expected HAS_VOCAB (an embedded tokenizer), got none"
                    + (f.metadata().containsKey("tokenizer.vocabulary")
                        ? " (its metadata holds a tokenizer.vocabulary the flags do not declare, as aprender's import writes it)" : "")
                    + "; stamp one in with: apr stamp " + f.path() + " --tokenizer DIR -o OUT.apr");
        return Tokenizer.fromAprMetadata(f.metadata(), f.path().toString());
    }
}
