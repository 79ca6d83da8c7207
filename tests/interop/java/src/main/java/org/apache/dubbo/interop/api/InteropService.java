package org.apache.dubbo.interop.api;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The interop interface set. Every provider (Java or Rust) must implement exactly these methods with
 * exactly these semantics; see INTERFACE.md for the JVM descriptors and the expected results.
 * Unless stated otherwise a method returns its argument unchanged.
 */
public interface InteropService {
    // ---- primitives and boxed types (boxed ones may be null) ----
    boolean echoBoolean(boolean v);
    Boolean echoBoxedBoolean(Boolean v);
    byte echoByte(byte v);
    Byte echoBoxedByte(Byte v);
    short echoShort(short v);
    Short echoBoxedShort(Short v);
    int echoInt(int v);
    Integer echoBoxedInt(Integer v);
    long echoLong(long v);
    Long echoBoxedLong(Long v);
    float echoFloat(float v);
    Float echoBoxedFloat(Float v);
    double echoDouble(double v);
    Double echoBoxedDouble(Double v);
    char echoChar(char v);
    Character echoBoxedChar(Character v);

    // ---- strings and binary ----
    String echoString(String v);
    byte[] echoBytes(byte[] v);

    // ---- collections and arrays ----
    List<String> echoList(List<String> v);
    Set<String> echoSet(Set<String> v);
    Map<String, Object> echoMap(Map<String, Object> v);
    Map<Long, User> echoPojoMap(Map<Long, User> v);
    int[] echoIntArray(int[] v);
    String[] echoStringArray(String[] v);
    User[] echoPojoArray(User[] v);

    // ---- POJO, enum, date/time, decimal ----
    User echoUser(User v);
    Color echoColor(Color v);
    Date echoDate(Date v);
    BigDecimal echoDecimal(BigDecimal v);
    LocalDateTime echoLocalDateTime(LocalDateTime v);

    // ---- void, no-arg, overloads ----
    /** Does nothing. */
    void ping();
    /** Stores the value; {@link #lastRecorded()} returns it. */
    void record(String v);
    /** Same as record; the Java consumer calls it one-way (return=false). */
    void recordOneway(String v);
    /** The last value stored by record/recordOneway (null before any). */
    String lastRecorded();
    /** Current time in ms since the epoch. */
    long now();
    /** "Hello, " + name */
    String greet(String name);
    /** "Hello, " + name repeated `times` times, joined by " " (times <= 0 gives ""). */
    String greet(String name, int times);

    // ---- errors, timeouts, sizes ----
    /** Always throws a business exception (a RuntimeException) whose message is exactly `message`. */
    String fail(String message) throws InteropException;
    /** Sleeps `millis` ms, then returns "slept " + millis. */
    String sleep(int millis);
    /** Echo for big arrays (4 MiB ok; > 8 MiB exceeds the default payload limit). */
    byte[] echoLarge(byte[] v);
    /** Returns `size` bytes, byte i = (byte) (i % 251). Used for a response over the payload limit. */
    byte[] makeBytes(int size);

    // ---- identity (version/group routing) ----
    /** "<impl>:<version>:<group>", impl = "java" or "rust", "-" for an empty version/group; e.g. "java:1.0.0:g1". */
    String whoAmI();
}
