package dev.apr.hub.publish;

import dev.apr.hub.client.CardMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CardTest {

    private static ModelCard.Spec spec(List<ModelCard.Metric> results) {
        return new ModelCard.Spec("tiny-coder", "apache-2.0", null, null, "apr", "text-generation", List.of("en"),
                List.of("code", "apr", "java", "code"), "Qwen/Qwen2.5-Coder-0.5B-Instruct", List.of("org/corpus"), results,
                "org/corpus", "org/corpus", null, List.of("README.md", "tiny-coder.apr", "model.safetensors", "config.json"));
    }

    @Test void generatedCardWithResultsPassesTheRulesAndHasTheModelIndex() {
        String card = ModelCard.generate(spec(List.of(new ModelCard.Metric("val_loss", 4.62, "Validation Cross-Entropy"))));
        assertEquals(List.of(), CardRules.check(card, "README.md"));
        Map<String, Object> fm = CardRules.parse(CardMetadata.yaml(card));
        assertEquals("apr", fm.get("library_name"));
        assertEquals("apache-2.0", fm.get("license"));
        assertEquals(List.of("code", "apr", "java"), fm.get("tags"), "tags deduplicated, order kept");
        assertEquals("Qwen/Qwen2.5-Coder-0.5B-Instruct", fm.get("base_model"));
        assertEquals(List.of("val_loss"), fm.get("metrics"));
        List<?> mi = (List<?>) fm.get("model-index");
        Map<?, ?> result = (Map<?, ?>) ((List<?>) ((Map<?, ?>) mi.get(0)).get("results")).get(0);
        Map<?, ?> metric = (Map<?, ?>) ((List<?>) result.get("metrics")).get(0);
        assertEquals(4.62, ((Number) metric.get("value")).doubleValue(), 1e-12);
        assertEquals("text-generation", ((Map<?, ?>) result.get("task")).get("type"));
    }

    @Test void generatedCardWithoutResultsOmitsModelIndexEntirely() {
        String card = ModelCard.generate(spec(List.of()));
        assertEquals(List.of(), CardRules.check(card, "README.md"));
        Map<String, Object> fm = CardRules.parse(CardMetadata.yaml(card));
        assertFalse(fm.containsKey("model-index"));
        assertFalse(fm.containsKey("metrics"));
    }

    @Test void modelIndexWithoutResultsIsRefusedLikeTheHub() {
        String readme = "---\nlibrary_name: apr\nlicense: mit\npipeline_tag: text-generation\nmodel-index:\n- name: x\n---\n# x\n";
        assertEquals(List.of("README.md: \"model-index[0].results\" is required"), CardRules.check(readme, "README.md"));
        String empty = "---\nlibrary_name: apr\nlicense: mit\npipeline_tag: text-generation\nmodel-index: []\n---\n";
        assertTrue(CardRules.check(empty, "README.md").get(0).contains("\"model-index\" is empty"));
        String notArray = "---\nlibrary_name: apr\nlicense: mit\npipeline_tag: text-generation\nmodel-index: foo\n---\n";
        assertTrue(CardRules.check(notArray, "README.md").get(0).contains("\"model-index\" must be an array"));
    }

    @Test void everyProblemIsListed() {
        String readme = "---\nlibrary_name: transformers\nlicense: Apache-2.0\ntags: [1, x]\nmodel-index:\n- name: x\n  results:\n  - task: {name: t}\n    dataset: {name: d, config: 3}\n    metrics: [{type: loss}]\n---\n";
        List<String> p = CardRules.check(readme, "README.md");
        assertTrue(p.stream().anyMatch(s -> s.contains("\"license\"") && s.contains("lower case")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("not transformers")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("\"pipeline_tag\" is required")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("\"tags[0]\" must be a string")), p.toString());
        assertTrue(p.contains("README.md: \"model-index[0].results[0].task.type\" is required"), p.toString());
        assertTrue(p.contains("README.md: \"model-index[0].results[0].dataset.type\" is required"), p.toString());
        assertTrue(p.contains("README.md: \"model-index[0].results[0].dataset.config\" must be a string"), p.toString());
        assertTrue(p.contains("README.md: \"model-index[0].results[0].metrics[0].value\" is required"), p.toString());
        assertEquals(8, p.size(), p.toString());
    }

    @Test void readmeWithoutFrontMatterIsRefused() {
        assertEquals(1, CardRules.check("# just a title\n", "README.md").size());
        assertEquals(1, CardRules.check("---\nlicense: mit\n", "README.md").size(), "unclosed front matter");
    }

    @Test void licenseOtherNeedsNameAndLink() {
        String r = "---\nlibrary_name: apr\nlicense: other\npipeline_tag: text-generation\n---\n";
        assertEquals(2, CardRules.check(r, "README.md").size());
    }

    @Test void metricsComeFromTrainingMetadata() {
        List<ModelCard.Metric> m = ModelCard.metricsFrom(Map.of("training", Map.of("val_loss", 2.0)));
        assertEquals("val_loss", m.get(0).type());
        assertEquals(2.0, m.get(0).value());
        assertEquals(Math.exp(2.0), m.get(1).value(), 1e-12, "perplexity = exp(val_loss) when not recorded");
        assertEquals(List.of(), ModelCard.metricsFrom(Map.of("license", "MIT")));
    }

    @Test void yamlScalarsAreQuotedWhenAmbiguous() {
        assertEquals("apache-2.0", ModelCard.scalar("apache-2.0"));
        assertEquals("\"yes\"", ModelCard.scalar("yes"));
        assertEquals("\"a: b\"", ModelCard.scalar("a: b"));
        assertEquals("\"1.5\"", ModelCard.scalar("1.5"));
        assertEquals("4.62", ModelCard.number(4.62));
        assertEquals("3", ModelCard.number(3.0));
    }
}
