package org.apache.dubbo.interop.provider;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.dubbo.interop.api.Color;
import org.apache.dubbo.interop.api.InteropException;
import org.apache.dubbo.interop.api.InteropService;
import org.apache.dubbo.interop.api.User;

public class InteropServiceImpl implements InteropService {
    private final String identity;
    private volatile String lastRecorded;

    public InteropServiceImpl(String impl, String version, String group) {
        this.identity = impl + ":" + dash(version) + ":" + dash(group);
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    @Override public boolean echoBoolean(boolean v) { return v; }
    @Override public Boolean echoBoxedBoolean(Boolean v) { return v; }
    @Override public byte echoByte(byte v) { return v; }
    @Override public Byte echoBoxedByte(Byte v) { return v; }
    @Override public short echoShort(short v) { return v; }
    @Override public Short echoBoxedShort(Short v) { return v; }
    @Override public int echoInt(int v) { return v; }
    @Override public Integer echoBoxedInt(Integer v) { return v; }
    @Override public long echoLong(long v) { return v; }
    @Override public Long echoBoxedLong(Long v) { return v; }
    @Override public float echoFloat(float v) { return v; }
    @Override public Float echoBoxedFloat(Float v) { return v; }
    @Override public double echoDouble(double v) { return v; }
    @Override public Double echoBoxedDouble(Double v) { return v; }
    @Override public char echoChar(char v) { return v; }
    @Override public Character echoBoxedChar(Character v) { return v; }

    @Override public String echoString(String v) { return v; }
    @Override public byte[] echoBytes(byte[] v) { return v; }

    @Override public List<String> echoList(List<String> v) { return v; }
    @Override public Set<String> echoSet(Set<String> v) { return v; }
    @Override public Map<String, Object> echoMap(Map<String, Object> v) { return v; }
    @Override public Map<Long, User> echoPojoMap(Map<Long, User> v) { return v; }
    @Override public int[] echoIntArray(int[] v) { return v; }
    @Override public String[] echoStringArray(String[] v) { return v; }
    @Override public User[] echoPojoArray(User[] v) { return v; }

    @Override public User echoUser(User v) { return v; }
    @Override public Color echoColor(Color v) { return v; }
    @Override public Date echoDate(Date v) { return v; }
    @Override public BigDecimal echoDecimal(BigDecimal v) { return v; }
    @Override public LocalDateTime echoLocalDateTime(LocalDateTime v) { return v; }

    @Override public void ping() {}
    @Override public void record(String v) { lastRecorded = v; }
    @Override public void recordOneway(String v) { lastRecorded = v; }
    @Override public String lastRecorded() { return lastRecorded; }
    @Override public long now() { return System.currentTimeMillis(); }

    @Override public String greet(String name) { return "Hello, " + name; }

    @Override
    public String greet(String name, int times) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < times; i++) {
            if (i > 0) sb.append(' ');
            sb.append("Hello, ").append(name);
        }
        return sb.toString();
    }

    @Override
    public String fail(String message) {
        throw new InteropException(message);
    }

    @Override
    public String sleep(int millis) {
        try {
            Thread.sleep(Math.max(0, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "slept " + millis;
    }

    @Override public byte[] echoLarge(byte[] v) { return v; }

    @Override
    public byte[] makeBytes(int size) {
        byte[] b = new byte[Math.max(0, size)];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (i % 251);
        return b;
    }

    @Override public String whoAmI() { return identity; }
}
