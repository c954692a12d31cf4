package dev.apr.hub.client;

import dev.apr.format.AprException;

/** A non-2xx answer of the hub (exit 3), keeping the HTTP status so callers can tell 412 from 500. */
public final class HubException extends AprException {
    private final int status;

    public HubException(String code, int status, String message) {
        super(code, REMOTE, message);
        this.status = status;
    }

    public int status() { return status; }
}
