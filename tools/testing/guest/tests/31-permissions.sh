# SPDX-License-Identifier: GPL-2.0
# Permissions: every file of the debugfs tree and every writable parameter refuses a
# process without CAP_SYS_ADMIN, and every mode is the one the admin guide lists.
#
# nn-unpriv opens each file for reading and for writing as three processes: root (the
# control: every open works), root without CAP_SYS_ADMIN ("nocap", a container's root:
# the modes let it through, the module's own check must refuse it with EPERM) and uid
# 65534 ("nobody": refused by the mount's 0700, then, with debugfs remounted 0755, by the
# modes and, for the world-readable reports, by the module's check). A parameter that
# opens for writing is written its own value back; the value and every network's state
# are compared before and after.
plan 13

D=$NN_DEBUGFS
U=$NN_HELPERS/nn-unpriv
GUIDE=/nn/Documentation/neural_network/admin-guide.rst
T=/tmp/perm
rm -rf $T && mkdir -p $T

nn_load || bail loads "insmod failed"
echo "2 4 1 tanh sigmoid seed=1" >$D/create && id=$(cat $D/create)
[ -e $D/network_$id/train ] && pass trainable_network_made || bail trainable_network_made "id '$id'"

# The files: the tree's and network_<id>'s (named network_<id>/X, as the guide does).
files=()
for f in $D/* $D/network_$id/*; do [ -f "$f" ] && files+=("$f"); done
params=()
for f in $NN_PARAMS/*; do params+=("$f"); done
guide_name() { local f=${1#$D/}; echo "${f/network_$id\//network_<id>/}"; }

# The guide's table: "0444  ``numa_info``  ..." rows (debugfs), and the parameter table's
# "neural_x  default  0644  ..." rows.
declare -A doc
while read -r mode name _; do
	name=${name//\`/}
	doc[$name]=$mode
done < <(grep -E '^0[0-7]{3}  +``[a-z_<>/]+``' $GUIDE)
while read -r name _ mode _; do
	doc[$name]=$mode
done < <(grep -E '^neural_[a-z_]+ +[^ ]+ +0[0-7]{3} ' $GUIDE)

bad= undocumented=
for f in "${files[@]}" "${params[@]}"; do
	case $f in $NN_PARAMS/*) name=${f##*/} ;; *) name=$(guide_name "$f") ;; esac
	mode=0$(stat -c %a "$f")
	if [ -z "${doc[$name]:-}" ]; then
		undocumented+=" $name($mode)"
	elif [ "${doc[$name]}" != "$mode" ]; then
		bad+=" $name: $mode, guide ${doc[$name]}"
	fi
done
[ -z "$bad" ] && pass modes_as_the_admin_guide_lists || fail modes_as_the_admin_guide_lists "$bad"
[ -z "$undocumented" ] && pass every_file_in_the_admin_guide ||
	fail every_file_in_the_admin_guide "not in the guide:$undocumented"

# What must not change: every parameter, the network's settings and counters, the
# memory in use, the networks.
state() {
	grep . $NN_PARAMS/* 2>&1
	cat $D/network_$id/config $D/network_$id/stats $D/memory 2>&1
	ls $D
}
state >$T/before

# writable MODE: 1 if the mode lets the owner write.
writable() { [ $(($1 & 0200)) != 0 ] && echo 1 || echo 0; }

# Control: root opens every file (bench's open runs the benchmark: left out), and writes
# each writable parameter's own value back.
ctl=()
for f in "${files[@]}"; do [ "${f##*/}" = bench ] || ctl+=("$f"); done
"$U" root -w "${params[@]}" >$T/root.params && "$U" root "${ctl[@]}" >$T/root.files ||
	bail root_opens_everything "nn-unpriv root failed"
bad=
while read -r f r w wr; do
	[ "$r $w $wr" = "r=ok w=ok write=-" ] || bad+=" $(guide_name "$f"): $r $w $wr"
done <$T/root.files
while read -r f r w wr; do
	if [ "$(writable 0$(stat -c %a "$f"))" = 1 ]; then want="r=ok w=ok write=ok"
	else want="r=ok w=EACCES write=-"; fi
	[ "$r $w $wr" = "$want" ] || bad+=" ${f##*/}: $r $w $wr (want $want)"
done <$T/root.params
[ -z "$bad" ] && [ -s $T/root.files ] && pass root_opens_everything ||
	fail root_opens_everything "${bad:-no output}"

# Root without CAP_SYS_ADMIN: every debugfs file refused at open, for reading and writing.
log_mark
"$U" nocap "${files[@]}" >$T/nocap.files 2>$T/nocap.err || bail nocap_refused_every_file "$(<$T/nocap.err)"
bad=
while read -r f r w wr; do
	[ "$r $w $wr" = "r=EPERM w=EPERM write=-" ] || bad+=" $f: $r $w $wr"
done <$T/nocap.files
[ -z "$bad" ] && [ $(wc -l <$T/nocap.files) = ${#files[@]} ] && pass nocap_refused_every_file ||
	fail nocap_refused_every_file "${bad:-$(wc -l <$T/nocap.files) lines}"

# ... and every writable parameter refused at the write (the mode lets uid 0 open it),
# read-only ones at the open; reads allowed (the parameters are world-readable).
"$U" nocap -w "${params[@]}" >$T/nocap.params 2>$T/nocap.err ||
	bail nocap_refused_every_parameter "$(<$T/nocap.err)"
bad=
while read -r f r w wr; do
	if [ "$(writable 0$(stat -c %a "$f"))" = 1 ]; then want="r=ok w=ok write=EPERM"
	else want="r=ok w=EACCES write=-"; fi
	[ "$r $w $wr" = "$want" ] || bad+=" ${f##*/}: $r $w $wr (want $want)"
done <$T/nocap.params
[ -z "$bad" ] && [ $(wc -l <$T/nocap.params) = ${#params[@]} ] && pass nocap_refused_every_parameter ||
	fail nocap_refused_every_parameter "$bad"
log_since_mark | grep -q "parameter 'neural_enable_simd' not set: nn-unpriv\[[0-9]*\] lacks CAP_SYS_ADMIN" &&
	pass refusal_named_in_the_log || fail refusal_named_in_the_log "$(log_since_mark | tail -3)"

# uid 65534: the mount (0700) refuses every file; the parameters refuse every write.
"$U" nobody "${files[@]}" >$T/nobody.files 2>$T/nobody.err || bail nobody_refused_by_the_mount "$(<$T/nobody.err)"
bad=$(grep -v " r=EACCES w=EACCES write=-$" $T/nobody.files)
[ -z "$bad" ] && [ $(wc -l <$T/nobody.files) = ${#files[@]} ] && pass nobody_refused_by_the_mount ||
	fail nobody_refused_by_the_mount "$bad"
"$U" nobody -w "${params[@]}" >$T/nobody.params 2>$T/nobody.err
bad=$(grep -v " r=ok w=EACCES write=-$" $T/nobody.params)
[ -z "$bad" ] && [ $(wc -l <$T/nobody.params) = ${#params[@]} ] && pass nobody_refused_every_parameter ||
	fail nobody_refused_every_parameter "$bad"

# uid 65534 with debugfs mounted 0755: the modes refuse the commands' files, and the
# module refuses the world-readable reports (EPERM, not the mode's EACCES).
if /busybox/mount -o remount,mode=0755 /sys/kernel/debug; then
	"$U" nobody "${files[@]}" >$T/open.files 2>$T/open.err
	/busybox/mount -o remount,mode=0700 /sys/kernel/debug
	bad=
	while read -r f r w wr; do
		mode=0$(stat -c %a "$f")
		if [ $((mode & 04)) != 0 ]; then want="r=EPERM w=EACCES write=-"
		else want="r=EACCES w=EACCES write=-"; fi
		[ "$r $w $wr" = "$want" ] || bad+=" $(guide_name "$f") ($mode): $r $w $wr (want $want)"
	done <$T/open.files
	[ -z "$bad" ] && [ $(wc -l <$T/open.files) = ${#files[@]} ] && pass nobody_refused_on_an_open_mount ||
		fail nobody_refused_on_an_open_mount "${bad:-$(<$T/open.err)}"
else
	fail nobody_refused_on_an_open_mount "remount of debugfs with mode=0755 failed"
fi
[ "$(stat -c %a /sys/kernel/debug)" = 700 ] && pass mount_mode_restored ||
	fail mount_mode_restored "$(stat -c %a /sys/kernel/debug)"

state >$T/after
cmp -s $T/before $T/after && pass nothing_changed || fail nothing_changed "$(diff $T/before $T/after | head -5)"

echo $id >$D/remove && nn_unload && pass unloads || fail unloads
