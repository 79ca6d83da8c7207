package org.apache.dubbo.interop.api;

/** Business exception thrown by {@code InteropService.fail}; lives in the API jar, so it is trusted. */
public class InteropException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InteropException() {
        super();
    }

    public InteropException(String message) {
        super(message);
    }
}
