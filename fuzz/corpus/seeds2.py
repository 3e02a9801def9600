import struct, hashlib
out='/work/wt-decode/fuzz/corpus/decode/'
def ip4(proto=6, flags=0x02, frag=0, ihl=5, l4=None, payload=b''):
    opts=b'\x01'*(ihl*4-20)
    if proto==6: t=struct.pack('>HHIIBBHHH',40000,443,0x01020304,0,0x50,flags,1024,0,0)
    elif proto==17: t=struct.pack('>HHHH',40000,53,8+len(payload),0)
    else: t=b'\x08\x00\x00\x00\x00\x01\x00\x01'
    t+=payload
    tot=ihl*4+len(t)
    return struct.pack('>BBHHHBBH4s4s',0x40|ihl,0,tot,0x1234,frag,57,proto,0,bytes([198,51,100,7]),bytes([203,0,113,10]))+opts+t
ip6=struct.pack('>IHBB',0x60000000,0,59,64)+bytes(range(32))
mac=bytes([2,0,0,0,0,1,2,0,0,0,0,2])
def eth(t,body): return mac+struct.pack('>H',t)+body
seeds=[]
def add(lt,frame): seeds.append(struct.pack('<I',lt)+frame)
add(1,eth(0x0800,ip4()))
add(1,eth(0x0800,ip4(ihl=8)))
add(1,eth(0x0800,ip4(frag=0x2000)))
add(1,eth(0x0800,ip4(frag=0x0003)))
add(1,eth(0x0800,ip4(proto=17)))
add(1,eth(0x0800,ip4(proto=1)))
add(1,eth(0x0800,ip4(proto=17,payload=b'\x08\0\0\0\0\0\x01\0'+eth(0x0800,ip4()))))
add(1,eth(0x86dd,ip6))
add(1,eth(0x0806,bytes([0,1,8,0,6,4,0,1])+bytes(20)))
add(1,eth(0x8100,b'\x00\x64'+b'\x81\x00\x00\x65'+b'\x08\x00'+ip4()))
add(1,eth(0x88a8,b'\x00\xc8'+b'\x81\x00\x00\x64'+b'\x08\x00'+ip4()))
add(1,eth(0x9100,b'\x00\xc8'+b'\x08\x00'+ip4()))
add(1,eth(0x8926,b'\0\0\0\0'+b'\x81\x00\x00\x0b\x08\x00'+ip4(proto=253)))
add(1,eth(0x8847,struct.pack('>II',(100<<12)|64,(200<<12)|0x100|64)+ip4()))
add(1,eth(0x8847,struct.pack('>I',(100<<12)|0x100|64)+ip6))
add(1,eth(0x8864,b'\x11\x00\x12\x34\x00\x2a\x00\x21'+ip4()))
add(1,eth(0x8864,b'\x11\x00\x12\x34\x00\x2a\xc0\x21\x01\x01\x00\x04'))
add(1,eth(48,b'\xaa\xaa\x03\x00\x00\x00\x08\x00'+ip4()))
add(1,eth(38,b'\x42\x42\x03'+bytes(35)))
for lt in (101,12,14,228): add(lt,ip4())
add(101,ip6); add(229,ip6)
sll=lambda ha,pr: struct.pack('>HHH',0,ha,6)+mac[:8]+struct.pack('>H',pr)
add(113,sll(1,0x0800)+ip4()); add(113,sll(1,0x8100)+b'\x00\x2a\x08\x00'+ip4()); add(113,sll(1,4)+b'\xaa\xaa\x03\x00\x00\x00\x08\x00'+ip4()); add(113,sll(824,0x0800)+ip4())
sll2=lambda ha,pr: struct.pack('>HHIHBB',pr,0,3,ha,4,6)+mac[:8]
add(276,sll2(1,0x0800)+ip4()); add(276,sll2(1,0x86dd)+ip6); add(276,sll2(1,0x88a8)+b'\x00\x01\x81\x00\x00\x02\x08\x00'+ip4())
add(0,struct.pack('<I',2)+ip4()); add(0,struct.pack('>I',2)+ip4()); add(0,struct.pack('<I',30)+ip6)
add(108,struct.pack('>I',2)+ip4()); add(108,struct.pack('>I',24)+ip6)
nf=b'\x02\x00\x00\x07'+struct.pack('<HH',8,1)+b'\x08\x00\x03\x00'+struct.pack('<HH',9,10)+b'dark\0\0\0\0'
add(239,nf+struct.pack('<HH',4+40,9)+ip4())
add(239,b'\x0a\x00\x00\x00'+struct.pack('<HH',4+40,0x4009)+ip6)
add(9,b'\xff\x03\x00\x21'+ip4()); add(9,b'\x21'+ip4()); add(9,b'\x00\x57'+ip6)
add(50,b'\xff\x03\x00\x21'+ip4()); add(50,b'\x0f\x00\x08\x00'+ip4())
add(104,b'\x0f\x00\x08\x00'+ip4()); add(104,b'\x8f\x00\x80\x35'+bytes(20))
add(147,ip4())
for s in seeds:
    open(out+hashlib.sha1(s).hexdigest()[:16],'wb').write(s)
print(len(seeds))
