package dev.apr.cli.quickstart;

import dev.apr.hub.publish.Auditor;
import dev.apr.hub.publish.Verifier;
import dev.apr.train.Pretrain;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What the quickstart measured, stage by stage, for the report (nothing here is hard-coded). */
final class Facts {
    // 1. tokenize
    long baseTrainTokens, baseValTokens, tuneTrainTokens, tuneValTokens;
    double tokenizeSeconds, tokensPerSecond;
    // 2, 3. training
    long parameters;
    double secondsPerStep;
    Pretrain.Result base, tune;
    Path baseRun, tuneRun;
    double scratchStep0 = Double.NaN;
    // 4, 5. files
    long aprBytes, safetensorsBytes, ggufBytes;
    Map<String, Integer> ggufTypes;
    int ggufFallbacks;
    // 6. publish
    String hubUrl, commit;
    int repoFiles, lfsUploaded, republishUploaded;
    long bytesUploaded;
    boolean republishCommitted;
    double publishSeconds, cardValLoss;
    // 7. audit, verify
    List<Auditor.Check> audit;
    List<Verifier.Check> verify;
    // 8. run
    String runText;
    int runTokens;
    double runDecodeTps;
}
