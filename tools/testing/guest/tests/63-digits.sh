# SPDX-License-Identifier: GPL-2.0
# A real model: scikit-learn's MLPClassifier trained on the digits data set that ships
# with scikit-learn, exported to ONNX by skl2onnx and compiled by nnctl (all on the host,
# tools/testing/models/build-digits), loaded through debugfs and run on its test split.
# Its accuracy must be within 1 percentage point of the float model's, and its output
# must be the host's (nnctl eval) byte for byte.
plan 4

nn_load || bail loads "insmod failed"
d=$NN_DATA/digits
id=$(nn_load_model $d/digits.nnm) || bail load "load failed"
nn_predict "$id" <$d/digits-test.txt >/tmp/digits.out
n=$(wc -l </tmp/digits.out)
[ "$n" = "$(wc -l <$d/digits-labels.txt)" ] && pass "predicts_all_${n}_test_digits" ||
	fail predicts_all_test_digits "$n lines"
cmp -s /tmp/digits.out $d/digits-host.txt && pass output_identical_to_nnctl_eval ||
	fail output_identical_to_nnctl_eval "$(diff /tmp/digits.out $d/digits-host.txt | head -3)"
score=$(/nn/tools/testing/models/score /tmp/digits.out $d/digits-labels.txt $d/digits-float-pred.txt)
echo "$score"
read -r fc ft fpct <$d/digits-float-accuracy.txt
kc=$(sed -n 's/^accuracy \([0-9]*\)\/.*/\1/p' <<<"$score")
echo "digits: kernel $kc/$n correct, float model $fc/$ft ($fpct%)"
# Within 1 percentage point: |kc/n - fc/ft| <= 0.01, in integers.
diff=$(( kc * ft - fc * n ))
[ -n "$kc" ] && [ "$ft" = "$n" ] && [ $(( diff < 0 ? -diff : diff )) -le $(( n * ft / 100 )) ] &&
	pass accuracy_within_1pp_of_float || fail accuracy_within_1pp_of_float "$kc/$n vs $fc/$ft"
check unload nn_unload
