package dev.apr.model.tokenizer;

/** One chat turn: role is "system", "user" or "assistant"; content is the plain text. */
public record Message(String role, String content) {
    public Message {
        if (role == null || role.isBlank()) throw new IllegalArgumentException("message role must be non-empty");
        if (content == null) throw new IllegalArgumentException("message content must not be null");
    }

    public static Message system(String content) { return new Message("system", content); }
    public static Message user(String content) { return new Message("user", content); }
    public static Message assistant(String content) { return new Message("assistant", content); }
}
