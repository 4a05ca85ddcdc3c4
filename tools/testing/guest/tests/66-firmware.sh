# SPDX-License-Identifier: GPL-2.0
# Loading models by name with request_firmware(): `load_firmware` takes a file name
# under neural_network/ in the firmware search path.
plan 8

nn_load || bail loads "insmod failed"
D=$NN_DEBUGFS
old_path=$(cat /sys/module/firmware_class/parameters/path)
printf '%s' $NN_DATA/firmware >/sys/module/firmware_class/parameters/path
[ -d /sys/devices/faux/neural_network ] && pass faux_device_exists || fail faux_device_exists

st=$(echo sample.nnm | write_status $D/load_firmware)
id=$(cat $D/load)
[ "$st" = ok ] && [ -d $D/network_$id ] && pass loads_sample_by_name || fail loads_sample_by_name "$st, id '$id'"
nn_predict "$id" <$NN_DATA/sample.in | cmp -s - $NN_DATA/sample.expected &&
	pass firmware_model_predicts_like_host || fail firmware_model_predicts_like_host
n=$(network_count)
st=$(echo missing.nnm | write_status $D/load_firmware)
[ "$st" = "No such file or directory" ] && pass missing_file_enoent || fail missing_file_enoent "$st"
log_mark
st=$(echo bad.nnm | write_status $D/load_firmware)
[ "$st" = "Invalid argument" ] && log_since_mark | grep -q "load_firmware: model rejected: bad magic" &&
	pass malformed_firmware_einval || fail malformed_firmware_einval "$st"
bad_st=
for bad in ../sample.nnm /etc/passwd 'a b' ''; do
	st=$(echo "$bad" | write_status $D/load_firmware)
	[ "$st" = "Invalid argument" ] || bad_st+=" '$bad': $st;"
done
[ -z "$bad_st" ] && pass bad_names_einval || fail bad_names_einval "$bad_st"
[ "$(network_count)" = "$n" ] && pass failures_create_nothing || fail failures_create_nothing
printf '%s' "$old_path" >/sys/module/firmware_class/parameters/path
check unload nn_unload
